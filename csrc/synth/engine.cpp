#include "synth/engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/model_file.h"
#include "kinds/ddsp/ddsp_model.h"

namespace rt_synth::synth {

Error Engine::load(const std::string& path, int max_voices, std::unique_ptr<Engine>& out) noexcept {
  EngineOptions opt;
  opt.max_voices = max_voices;
  return load(path, opt, out);
}

Error Engine::load(const std::string& path, const EngineOptions& opt, std::unique_ptr<Engine>& out) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  return fromFile(file, opt, out);
}

Error Engine::fromFile(const ModelFile& file, const EngineOptions& opt, std::unique_ptr<Engine>& out) noexcept {
  try {
    auto e = std::unique_ptr<Engine>(new Engine());
    e->opt_ = opt;
    if (Error err = SynthEngine::fromFile(file, opt.max_voices, e->synth_)) return err;
    // Timbre transfer over the same file; a model that cannot do it still plays as a synth.
    std::unique_ptr<DDSPModel> model;
    if (Error err = DDSPModel::fromFile(file, model)) {
      e->transfer_error_ = err.message;
    } else {
      const int fd = static_cast<int>(model->config().feature_delay_samples);  // range-checked by DDSPConfig
      e->transfer_.reset(new TimbreTransfer(std::move(model), opt.analysis, fd));
    }
    out = std::move(e);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the engine");
  }
}

Error Engine::setMode(Mode m) noexcept {
  if (m != Mode::kSynth && m != Mode::kTransfer)
    return make_error(ErrorCode::kInvalidArgument, "Engine: unknown mode");
  if (m == Mode::kTransfer && !transfer_)
    return make_error(ErrorCode::kUnsupported, "Engine: this model cannot run timbre transfer: " + transfer_error_);
  requested_.store(static_cast<int>(m), std::memory_order_release);
  return Error::none();
}

Error Engine::prepare(double host_rate, int max_block) noexcept {
  prepared_ = false;
  if (!(host_rate > 0) || host_rate != std::round(host_rate) || host_rate > 1e6)
    return make_error(ErrorCode::kInvalidArgument, "Engine: host sample rate must be a whole number of Hz > 0");
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "Engine: max_block must be >= 1");
  model_rate_ = synth_->sampleRate();
  host_rate_ = static_cast<int>(host_rate);
  resampling_ = host_rate_ != model_rate_;
  // Engine-side block: what one host block becomes after the input resampler (+ slack).
  const int eb = resampling_ ? static_cast<int>(std::ceil(static_cast<double>(max_block) * model_rate_ / host_rate_)) + 2
                             : max_block;
  if (Error e = synth_->prepare(model_rate_, eb, opt_.lookahead_frames)) return e;
  if (transfer_)
    if (Error e = transfer_->prepare(model_rate_, eb)) return e;
  if (resampling_) {
    if (Error e = adapters_[0].prepare(synth_.get(), model_rate_, host_rate_, max_block)) return e;
    if (transfer_)
      if (Error e = adapters_[1].prepare(transfer_.get(), model_rate_, host_rate_, max_block)) return e;
  }
  if (!in_copy_.allocate(max_block) || !old_out_.allocate(max_block))
    return make_error(ErrorCode::kTooLarge, "Engine: out of memory");
  fade_len_ = std::max(1, static_cast<int>(std::lround(kFadeMs * 1e-3 * host_rate_)));
  max_block_ = max_block;
  prepared_ = true;
  reset();
  return Error::none();
}

void Engine::resetMode(int m) noexcept {
  if (m == 0) {
    synth_->reset();
  } else if (transfer_) {
    transfer_->reset();
  }
  if (resampling_) adapters_[m].reset();
}

void Engine::reset() noexcept {
  if (!prepared_) return;
  resetMode(0);
  if (transfer_) resetMode(1);
  const int m = requested_.load(std::memory_order_acquire);
  active_.store(m, std::memory_order_relaxed);
  fade_from_ = m;
  fade_pos_ = fade_len_;  // no fade running
}

int Engine::latencyFor(Mode m) const noexcept {
  const int i = static_cast<int>(m);
  if (i == 1 && !transfer_) return 0;
  if (resampling_) return adapters_[i].latency();
  return i == 0 ? synth_->latency() : transfer_->latency();
}

double Engine::latencySeconds() const noexcept {
  const int i = static_cast<int>(mode());
  if (i == 1 && !transfer_) return 0.0;
  if (resampling_) return adapters_[i].latencySeconds();
  return static_cast<double>(i == 0 ? synth_->latency() : transfer_->latency()) / model_rate_;
}

bool Engine::pushMidi(const uint8_t* bytes, int len, int sample_offset) noexcept {
  if (mode() != Mode::kSynth) return false;
  int off = std::max(0, sample_offset);
  // Host time -> model time, exact and independent of the host's block size (HostAdapter).
  // The synth's adapter is reset at the start of the next block when the synth is not the
  // active mode yet (a switch back from transfer), so the event is placed from that reset.
  if (resampling_) off = adapters_[0].engineOffset(off, activeMode() != Mode::kSynth);
  return synth_->pushMidi(bytes, len, off);
}

void Engine::runMode(int m, const float* in, float* out, int n) noexcept {
  if (resampling_) {
    adapters_[m].process(in, out, n);
  } else if (m == 0) {
    synth_->process(in, out, n);
  } else {
    transfer_->process(in, out, n);
  }
}

void Engine::processChunk(const float* in, float* out, int n) noexcept {
  const int want = requested_.load(std::memory_order_acquire);
  const int act = active_.load(std::memory_order_relaxed);
  if (want != act) {  // switch: the incoming engine starts from silence, cross-faded in
    fade_from_ = act;
    resetMode(want);
    active_.store(want, std::memory_order_relaxed);
    fade_pos_ = 0;
  }
  const int cur = active_.load(std::memory_order_relaxed);
  if (fade_pos_ >= fade_len_) {
    runMode(cur, in, out, n);
    return;
  }
  const float* src = in;
  if (in && in == out) {
    std::memcpy(in_copy_.data(), in, sizeof(float) * n);
    src = in_copy_.data();
  }
  float* old = old_out_.data();
  runMode(fade_from_, src, old, n);
  runMode(cur, src, out, n);
  const float inv = 1.f / static_cast<float>(fade_len_);
  for (int i = 0; i < n; ++i) {
    const float t = std::min(1.f, static_cast<float>(fade_pos_ + i + 1) * inv);
    out[i] = old[i] + (out[i] - old[i]) * t;
  }
  fade_pos_ = std::min(fade_len_, fade_pos_ + n);
}

void Engine::process(const float* in, float* out, int n) noexcept {
  if (n <= 0 || !out) return;
  if (!prepared_) {
    std::fill(out, out + n, 0.f);
    return;
  }
  for (int done = 0; done < n;) {
    const int k = std::min(max_block_, n - done);
    processChunk(in ? in + done : nullptr, out + done, k);
    done += k;
  }
}

}  // namespace rt_synth::synth
