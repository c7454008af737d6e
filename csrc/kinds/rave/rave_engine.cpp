#include "kinds/rave/rave_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

namespace rt_synth::rave {

using synth::MidiEvent;
using synth::MidiType;

Error RaveEngine::fromFile(const ModelFile& file, std::unique_ptr<RaveEngine>& out) noexcept {
  std::unique_ptr<RaveModel> m;
  if (Error e = RaveModel::fromFile(file, m)) return e;
  std::unique_ptr<RaveEngine> eng(new (std::nothrow) RaveEngine());
  if (!eng) return make_error(ErrorCode::kTooLarge, "RaveEngine: out of memory");
  eng->queue_.reset(new (std::nothrow) Queue());
  if (!eng->queue_ || !eng->controls_.init(*m)) return make_error(ErrorCode::kTooLarge, "RaveEngine: out of memory");
  eng->model_ = std::move(m);
  eng->stream_.m = eng->model_.get();
  eng->resetControls();
  out = std::move(eng);
  return Error{};
}

Error RaveEngine::load(const std::string& path, std::unique_ptr<RaveEngine>& out) noexcept {
  ModelFile f;
  if (Error e = ModelFile::load(path, f)) return e;
  return fromFile(f, out);
}

Error RaveEngine::prepare(double host_rate, int max_block) noexcept {
  prepared_ = false;
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "RaveEngine: max_block must be >= 1");
  const int rate = static_cast<int>(std::lround(host_rate));
  if (!(host_rate > 0) || std::fabs(host_rate - rate) > 1e-6)
    return make_error(ErrorCode::kInvalidArgument, "RaveEngine: the host rate must be a whole number of Hz > 0");
  resampling_ = rate != modelRate();
  // Behind the adapter the model is called in chunks of at most its maxBlock().
  if (Error e = model_->prepare(modelRate(), resampling_ ? 4096 : max_block)) return e;
  stream_.safety.prepare(modelRate());
  if (resampling_)
    if (Error e = adapter_.prepare(&stream_, modelRate(), rate, max_block)) return e;
  host_rate_ = rate;
  max_block_ = max_block;
  prepared_ = true;
  reset();
  return Error{};
}

void RaveEngine::reset() noexcept {
  model_->reset();
  stream_.safety.reset();
  if (resampling_) adapter_.reset();
  parser_.reset();
}

int RaveEngine::latency() const noexcept {
  if (!prepared_) return model_->latency();
  return resampling_ ? adapter_.latency() : model_->latency();
}

double RaveEngine::latencySeconds() const noexcept {
  if (prepared_ && resampling_) return adapter_.latencySeconds();
  return static_cast<double>(model_->latency()) / modelRate();
}

void RaveEngine::process(const float* in, float* out, int n) noexcept {
  if (n <= 0) return;
  if (!prepared_) {
    std::memset(out, 0, sizeof(float) * static_cast<size_t>(n));
    return;
  }
  drain();
  applyControls();
  if (resampling_) adapter_.process(in, out, n);
  else stream_.process(in, out, n);
}

// ---- control side -----------------------------------------------------------------------

bool RaveEngine::pushMidi(const uint8_t* bytes, int len) noexcept {
  return pushMidiChunks<Queue, RaveEngineEvent>(*queue_, bytes, len, dropped_);
}

bool RaveEngine::mapCC(int cc, CCTarget target, int index) noexcept {
  if (!controls_.validMap(cc, target, index)) return false;
  RaveEngineEvent e;
  e.kind = RaveEngineEvent::kCCMap;
  e.cc = static_cast<int16_t>(cc);
  e.target = target;
  e.index = static_cast<int16_t>(index);
  if (queue_->push(e)) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool RaveEngine::requestReset() noexcept {
  RaveEngineEvent e;
  e.kind = RaveEngineEvent::kReset;
  if (queue_->push(e)) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool RaveEngine::setLatentOffset(int i, float value) noexcept { return controls_.setOffset(i, value); }
bool RaveEngine::setLatentScale(int i, float value) noexcept { return controls_.setScale(i, value); }
void RaveEngine::setGlobalScale(float value) noexcept { controls_.setGlobalScale(value); }
float RaveEngine::latentOffset(int i) const noexcept { return controls_.offset(i); }
float RaveEngine::latentScale(int i) const noexcept { return controls_.scale(i); }

RaveEngineStats RaveEngine::stats() const noexcept {
  RaveEngineStats s;
  s.midi_events = midi_events_.load(std::memory_order_relaxed);
  s.cc_applied = cc_applied_.load(std::memory_order_relaxed);
  s.events_dropped = dropped_.load(std::memory_order_relaxed);
  s.resets = resets_.load(std::memory_order_relaxed);
  return s;
}

// ---- audio thread -------------------------------------------------------------------------

void RaveEngine::resetControls() noexcept {
  controls_.resetTargets();
  bend_offset_.store(0.f, std::memory_order_relaxed);
}

void RaveEngine::drain() noexcept {
  RaveEngineEvent e;
  MidiEvent m;
  // Bounded: at most the queue's capacity per block (producers cannot starve the audio thread).
  for (size_t k = 0; k < Queue::capacity() && queue_->pop(e); ++k) {
    switch (e.kind) {
      case RaveEngineEvent::kMidi:
        for (int i = 0; i < e.len; ++i) {
          if (!parser_.feed(e.bytes[i], m)) continue;
          midi_events_.fetch_add(1, std::memory_order_relaxed);
          handleMidi(m);
          MidiEvent r;
          parser_.pendingRpn(r);  // RPN 0 (bend range) has no meaning here: consumed, ignored
        }
        break;
      case RaveEngineEvent::kCCMap:
        controls_.setMap(e.cc, e.target, e.index);
        break;
      case RaveEngineEvent::kReset:
        model_->reset();
        if (resampling_) adapter_.reset();
        resets_.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        break;
    }
  }
}

void RaveEngine::handleMidi(const MidiEvent& e) noexcept {
  const float range = model_->config().latent_offset_range;
  if (e.type == MidiType::kPitchBend) {
    const float v = std::max(-1.f, std::min(1.f, static_cast<float>(e.bend) / 8191.f));
    bend_offset_.store(v * range * model_->latentStd(0), std::memory_order_relaxed);
    cc_applied_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (e.type != MidiType::kControlChange) return;
  const int cc = e.data1 & 127, val = e.data2 & 127;
  if (cc == 121) {
    resetControls();
    return;
  }
  if (cc == 120 || cc == 123) {
    model_->reset();
    if (resampling_) adapter_.reset();
    resets_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (controls_.handleCC(cc, val)) cc_applied_.fetch_add(1, std::memory_order_relaxed);
}

void RaveEngine::applyControls() noexcept {
  const float g = controls_.globalScale();
  const float b = bend_offset_.load(std::memory_order_relaxed);
  for (int i = 0; i < latentSize(); ++i) {
    model_->setLatentOffset(i, controls_.offset(i) + (i == 0 ? b : 0.f));
    model_->setLatentScale(i, controls_.scale(i) * g);
  }
}

}  // namespace rt_synth::rave
