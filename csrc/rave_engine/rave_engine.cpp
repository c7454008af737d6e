#include "rave_engine/rave_engine.h"

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
  const int D = m->latentSize();
  eng->queue_.reset(new (std::nothrow) Queue());
  eng->offset_.reset(new (std::nothrow) std::atomic<float>[D]);
  eng->scale_.reset(new (std::nothrow) std::atomic<float>[D]);
  if (!eng->queue_ || !eng->offset_ || !eng->scale_) return make_error(ErrorCode::kTooLarge, "RaveEngine: out of memory");
  eng->model_ = std::move(m);
  eng->stream_.m = eng->model_.get();
  eng->resetControls();
  // Default CC map: CC 16+i → offset of control i; CC 1 → global scale.
  const int count = std::min(eng->latentCount(), 120 - kFirstOffsetCC);
  for (int i = 0; i < count; ++i) eng->cc_map_[kFirstOffsetCC + i] = {kOffset, static_cast<int16_t>(i)};
  eng->cc_map_[1] = {kGlobalScale, 0};
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
  if (!bytes || len <= 0) return true;
  bool ok = true;
  RaveEngineEvent e;
  e.kind = RaveEngineEvent::kMidi;
  for (int i = 0; i < len; i += static_cast<int>(sizeof e.bytes)) {
    const int c = std::min<int>(len - i, sizeof e.bytes);
    e.len = static_cast<uint8_t>(c);
    std::memcpy(e.bytes, bytes + i, static_cast<size_t>(c));
    if (!queue_->push(e)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      ok = false;
    }
  }
  return ok;
}

bool RaveEngine::mapCC(int cc, CCTarget target, int index) noexcept {
  if (cc < 0 || cc > 127 || target < kNone || target > kGlobalScale) return false;
  if ((target == kOffset || target == kScale) && (index < 0 || index >= latentSize())) return false;
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

bool RaveEngine::setLatentOffset(int i, float value) noexcept {
  if (i < 0 || i >= latentSize()) return false;
  if (std::isnan(value)) return true;
  offset_[i].store(value, std::memory_order_relaxed);
  return true;
}

bool RaveEngine::setLatentScale(int i, float value) noexcept {
  if (i < 0 || i >= latentSize()) return false;
  if (std::isnan(value)) return true;
  scale_[i].store(value, std::memory_order_relaxed);
  return true;
}

void RaveEngine::setGlobalScale(float value) noexcept {
  if (!std::isnan(value)) global_scale_.store(value, std::memory_order_relaxed);
}

float RaveEngine::latentOffset(int i) const noexcept {
  return (i < 0 || i >= latentSize()) ? 0.f : offset_[i].load(std::memory_order_relaxed);
}

float RaveEngine::latentScale(int i) const noexcept {
  return (i < 0 || i >= latentSize()) ? 0.f : scale_[i].load(std::memory_order_relaxed);
}

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
  for (int i = 0; i < latentSize(); ++i) {
    offset_[i].store(0.f, std::memory_order_relaxed);
    scale_[i].store(1.f, std::memory_order_relaxed);
  }
  global_scale_.store(1.f, std::memory_order_relaxed);
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
        cc_map_[e.cc] = {e.target, e.index};
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
  const CCMap& map = cc_map_[cc];
  switch (map.target) {
    case kOffset: {
      const float v = std::max(-1.f, std::min(1.f, (static_cast<float>(val) - 64.f) / 63.f));
      offset_[map.index].store(v * range * model_->latentStd(map.index), std::memory_order_relaxed);
      break;
    }
    case kScale:
      scale_[map.index].store(static_cast<float>(val) / 127.f * model_->config().latent_scale_max,
                              std::memory_order_relaxed);
      break;
    case kGlobalScale: {
      const float smax = model_->config().latent_scale_max;
      global_scale_.store(1.f + static_cast<float>(val) / 127.f * (smax - 1.f), std::memory_order_relaxed);
      break;
    }
    default:
      return;
  }
  cc_applied_.fetch_add(1, std::memory_order_relaxed);
}

void RaveEngine::applyControls() noexcept {
  const float g = global_scale_.load(std::memory_order_relaxed);
  const float b = bend_offset_.load(std::memory_order_relaxed);
  for (int i = 0; i < latentSize(); ++i) {
    model_->setLatentOffset(i, offset_[i].load(std::memory_order_relaxed) + (i == 0 ? b : 0.f));
    model_->setLatentScale(i, scale_[i].load(std::memory_order_relaxed) * g);
  }
}

}  // namespace rt_synth::rave
