#include "kinds/rave/rave_synth.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "util/denormal_guard.h"

namespace rt_synth::rave {

using synth::MidiEvent;
using synth::MidiType;

namespace {

float clampf(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }
float square(float v) { return v * v; }

}  // namespace

Error RaveSynth::fromFile(const ModelFile& file, std::unique_ptr<RaveSynth>& out) noexcept {
  std::unique_ptr<RaveModel> m;
  if (Error e = RaveModel::fromFile(file, m)) return e;
  if (!m->hasPitchSource())
    return make_error(ErrorCode::kUnsupported,
                      "RaveSynth: this RAVE model has no pitch source, so it cannot be played from MIDI "
                      "(use it for timbre transfer: rt-synth transfer / live --input)");
  std::unique_ptr<RaveSynth> s(new (std::nothrow) RaveSynth());
  if (!s) return make_error(ErrorCode::kTooLarge, "RaveSynth: out of memory");
  const int D = m->latentSize();
  s->queue_.reset(new (std::nothrow) Queue());
  s->preset_.reset(new (std::nothrow) std::atomic<float>[D]);
  if (!s->queue_ || !s->preset_ || !s->controls_.init(*m) || !s->frame_.allocate(m->ratio()) || !s->u_.allocate(D))
    return make_error(ErrorCode::kTooLarge, "RaveSynth: out of memory");
  for (int i = 0; i < D; ++i) s->preset_[i].store(0.f, std::memory_order_relaxed);
  s->model_ = std::move(m);
  s->stream_.s = s.get();
  const RaveConfig& c = s->model_->config();
  s->env_delay_ = static_cast<int>(c.ratio) + static_cast<int>(std::lround(c.pitch_gate_low * c.ratio)) +
                  (c.pqmf_taps - 1);
  out = std::move(s);
  return Error{};
}

Error RaveSynth::load(const std::string& path, std::unique_ptr<RaveSynth>& out) noexcept {
  ModelFile f;
  if (Error e = ModelFile::load(path, f)) return e;
  return fromFile(f, out);
}

Error RaveSynth::prepare(double host_rate, int max_block) noexcept {
  prepared_ = false;
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "RaveSynth: max_block must be >= 1");
  const int rate = static_cast<int>(std::lround(host_rate));
  if (!(host_rate > 0) || std::fabs(host_rate - rate) > 1e-6)
    return make_error(ErrorCode::kInvalidArgument, "RaveSynth: the host rate must be a whole number of Hz > 0");
  resampling_ = rate != modelRate();
  if (Error e = model_->prepare(modelRate(), model_->ratio())) return e;
  stream_.safety.prepare(modelRate());
  stream_.max_block = resampling_ ? 4096 : max_block;
  if (resampling_)
    if (Error e = adapter_.prepare(&stream_, modelRate(), rate, max_block)) return e;
  amp_coef_ = 1.f - std::exp(-1.f / (0.01f * static_cast<float>(modelRate())));  // 10 ms smoothing
  host_rate_ = rate;
  max_block_ = max_block;
  prepared_ = true;
  reset();
  return Error{};
}

void RaveSynth::reset() noexcept {
  model_->reset();
  stream_.safety.reset();
  if (resampling_) adapter_.reset();
  parser_.reset();
  frame_.zero();
  clock_ = 0;
  held_count_ = 0;
  pitch_ = pitch_target_ = 69.f;
  glide_frames_ = 0;
  glide_step_ = 0.f;
  bend_ = 0.f;
  volume_ = expression_ = 1.f;
  velocity_gain_ = 0.f;
  note_gain_ = 0.f;
  gate_head_ = gate_count_ = 0;
  env_ = env_step_ = 0.f;
  amp_ = amp_target_ = 0.f;
  note_now_.store(-1, std::memory_order_relaxed);
}

// Off the model rate: events reach the model at once (no input resampler in their path), so
// the delay is E at the model rate plus the engine→host resampler's.
int RaveSynth::latency() const noexcept {
  if (prepared_ && resampling_) return static_cast<int>(std::lround(latencySeconds() * host_rate_));
  return env_delay_;
}

double RaveSynth::latencySeconds() const noexcept {
  const double e = static_cast<double>(env_delay_) / modelRate();
  return (prepared_ && resampling_) ? e + adapter_.outputDelaySeconds() : e;
}

void RaveSynth::process(const float* /*in*/, float* out, int n) noexcept {
  if (n <= 0) return;
  if (!prepared_) {
    std::memset(out, 0, sizeof(float) * static_cast<size_t>(n));
    return;
  }
  drain();
  if (resampling_) adapter_.process(nullptr, out, n);
  else stream_.process(nullptr, out, n);
}

// ---- control side -----------------------------------------------------------------------

bool RaveSynth::pushMidi(const uint8_t* bytes, int len) noexcept {
  return pushMidiChunks<Queue, RaveEngineEvent>(*queue_, bytes, len, dropped_);
}

bool RaveSynth::mapCC(int cc, LatentCCTarget target, int index) noexcept {
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

bool RaveSynth::requestReset() noexcept {
  RaveEngineEvent e;
  e.kind = RaveEngineEvent::kReset;
  if (queue_->push(e)) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool RaveSynth::setPreset(int i, float value) noexcept {
  if (i < 0 || i >= latentSize()) return false;
  if (std::isfinite(value)) preset_[i].store(clampf(value, -RaveModel::kMaxControl, RaveModel::kMaxControl));
  return true;
}

float RaveSynth::preset(int i) const noexcept {
  return (i < 0 || i >= latentSize()) ? 0.f : preset_[i].load(std::memory_order_relaxed);
}

void RaveSynth::setAttack(float s) noexcept {
  if (!std::isnan(s)) attack_s_.store(clampf(s, 0.0005f, 2.f), std::memory_order_relaxed);
}
void RaveSynth::setRelease(float s) noexcept {
  if (!std::isnan(s)) release_s_.store(clampf(s, 0.005f, 10.f), std::memory_order_relaxed);
}
void RaveSynth::setGlide(float s) noexcept {
  if (!std::isnan(s)) glide_s_.store(clampf(s, 0.f, 2.f), std::memory_order_relaxed);
}
void RaveSynth::setGainDb(float db) noexcept {
  if (!std::isnan(db)) gain_db_.store(clampf(db, -60.f, 24.f), std::memory_order_relaxed);
}
void RaveSynth::setBendRange(float semitones) noexcept {
  if (!std::isnan(semitones)) bend_range_.store(clampf(semitones, 0.f, 24.f), std::memory_order_relaxed);
}

RaveSynthStats RaveSynth::stats() const noexcept {
  RaveSynthStats s;
  s.midi_events = midi_events_.load(std::memory_order_relaxed);
  s.notes_on = notes_on_.load(std::memory_order_relaxed);
  s.cc_applied = cc_applied_.load(std::memory_order_relaxed);
  s.events_dropped = dropped_.load(std::memory_order_relaxed);
  s.resets = resets_.load(std::memory_order_relaxed);
  return s;
}

// ---- audio thread: events -------------------------------------------------------------------

void RaveSynth::drain() noexcept {
  RaveEngineEvent e;
  MidiEvent m;
  for (size_t k = 0; k < Queue::capacity() && queue_->pop(e); ++k) {
    switch (e.kind) {
      case RaveEngineEvent::kMidi:
        for (int i = 0; i < e.len; ++i) {
          if (!parser_.feed(e.bytes[i], m)) continue;
          midi_events_.fetch_add(1, std::memory_order_relaxed);
          handleMidi(m);
          MidiEvent r;
          if (parser_.pendingRpn(r)) setBendRange(static_cast<float>(r.bend) / 100.f);
        }
        break;
      case RaveEngineEvent::kCCMap:
        controls_.setMap(e.cc, e.target, e.index);
        break;
      case RaveEngineEvent::kReset:
        allSoundOff();
        resets_.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        break;
    }
  }
}

void RaveSynth::handleMidi(const MidiEvent& e) noexcept {
  switch (e.type) {
    case MidiType::kNoteOn:
      noteOn(e.data1 & 127, e.data2 & 127);
      return;
    case MidiType::kNoteOff:
      noteOff(e.data1 & 127);
      return;
    case MidiType::kPitchBend:
      bend_ = clampf(static_cast<float>(e.bend) / 8192.f, -1.f, 1.f);
      return;
    case MidiType::kControlChange:
      break;
    default:
      return;
  }
  const int cc = e.data1 & 127, val = e.data2 & 127;
  switch (cc) {
    case 5:
      setGlide(square(static_cast<float>(val) / 127.f));
      return;
    case 7:
      volume_ = square(static_cast<float>(val) / 127.f);
      return;
    case 11:
      expression_ = square(static_cast<float>(val) / 127.f);
      return;
    case 120:
      allSoundOff();
      resets_.fetch_add(1, std::memory_order_relaxed);
      return;
    case 123:
      allNotesOff();
      return;
    case 121:
      controls_.resetTargets();
      bend_ = 0.f;
      expression_ = 1.f;
      return;
    default:
      if (controls_.handleCC(cc, val)) cc_applied_.fetch_add(1, std::memory_order_relaxed);
  }
}

void RaveSynth::noteOn(int note, int velocity) noexcept {
  notes_on_.fetch_add(1, std::memory_order_relaxed);
  // Remove a repeated note from the stack, then push it on top.
  int j = 0;
  for (int i = 0; i < held_count_; ++i)
    if (held_[i] != note) {
      held_vel_[j] = held_vel_[i];
      held_[j++] = held_[i];
    }
  const bool legato = j > 0;
  held_count_ = j;
  held_[held_count_] = static_cast<uint8_t>(note);
  held_vel_[held_count_++] = static_cast<uint8_t>(velocity);
  pitch_target_ = static_cast<float>(note);
  const float vg = square(static_cast<float>(velocity) / 127.f);
  note_gain_ = vg;
  if (legato) {  // glide, no retrigger: the velocity only re-targets the smoothed gain
    const float frames = glide_s_.load(std::memory_order_relaxed) * modelRate() / ratio();
    glide_frames_ = static_cast<int>(std::lround(frames));
    glide_step_ = glide_frames_ > 0 ? (pitch_target_ - pitch_) / glide_frames_ : 0.f;
    schedule(kRetarget, vg);
  } else {  // a new phrase: the pitch jumps, the envelope (re)starts from where it is
    pitch_ = pitch_target_;
    glide_frames_ = 0;
    schedule(kGateOn, vg);
  }
  note_now_.store(note, std::memory_order_relaxed);
}

void RaveSynth::noteOff(int note) noexcept {
  int j = 0;
  bool was_top = held_count_ > 0 && held_[held_count_ - 1] == note;
  for (int i = 0; i < held_count_; ++i)
    if (held_[i] != note) {
      held_vel_[j] = held_vel_[i];
      held_[j++] = held_[i];
    }
  if (j == held_count_) return;  // not held
  held_count_ = j;
  if (held_count_ == 0) {
    schedule(kGateOff, 0.f);
    note_now_.store(-1, std::memory_order_relaxed);
  } else if (was_top) {  // back to the previous held note, legato
    pitch_target_ = held_[held_count_ - 1];
    const float frames = glide_s_.load(std::memory_order_relaxed) * modelRate() / ratio();
    glide_frames_ = static_cast<int>(std::lround(frames));
    glide_step_ = glide_frames_ > 0 ? (pitch_target_ - pitch_) / glide_frames_ : 0.f;
    note_now_.store(held_[held_count_ - 1], std::memory_order_relaxed);
  }
}

void RaveSynth::allNotesOff() noexcept {
  if (held_count_ > 0) schedule(kGateOff, 0.f);
  held_count_ = 0;
  note_now_.store(-1, std::memory_order_relaxed);
}

void RaveSynth::allSoundOff() noexcept {
  held_count_ = 0;
  gate_head_ = gate_count_ = 0;
  env_ = env_step_ = 0.f;
  amp_ = 0.f;
  note_now_.store(-1, std::memory_order_relaxed);
}

void RaveSynth::schedule(uint8_t type, float velocity_gain) noexcept {
  GateEvent g;
  g.time = clock_ + static_cast<uint64_t>(env_delay_);
  g.type = type;
  g.velocity_gain = velocity_gain;
  if (gate_count_ == kGateQueue) {  // 256 notes inside one latency: apply the oldest now
    applyGate(gates_[gate_head_]);
    gate_head_ = (gate_head_ + 1) % kGateQueue;
    --gate_count_;
  }
  gates_[(gate_head_ + gate_count_) % kGateQueue] = g;
  ++gate_count_;
}

void RaveSynth::applyGate(const GateEvent& g) noexcept {
  const float sr = static_cast<float>(modelRate());
  switch (g.type) {
    case kGateOn:
      if (env_ <= 0.f) amp_ = 0.f;  // from silence: the gain starts at its target (set below)
      velocity_gain_ = g.velocity_gain;
      updateLevel();
      if (env_ <= 0.f) amp_ = amp_target_;
      env_step_ = 1.f / (attack_s_.load(std::memory_order_relaxed) * sr);
      break;
    case kGateOff:
      // Linear to exactly 0 over the release time, from wherever the envelope is.
      env_step_ = -std::max(env_, 1e-6f) / (release_s_.load(std::memory_order_relaxed) * sr);
      break;
    case kRetarget:
      velocity_gain_ = g.velocity_gain;
      break;
    default:
      break;
  }
}

void RaveSynth::updateLevel() noexcept {
  const float gain = std::pow(10.f, gain_db_.load(std::memory_order_relaxed) / 20.f);
  amp_target_ = gain * velocity_gain_ * volume_ * expression_;
}

// ---- audio thread: sound --------------------------------------------------------------------

void RaveSynth::decodeFrame() noexcept {
  if (glide_frames_ > 0) {
    pitch_ += glide_step_;
    if (--glide_frames_ == 0) pitch_ = pitch_target_;
  } else {
    pitch_ = pitch_target_;
  }
  const float semis = pitch_ + bend_ * bend_range_.load(std::memory_order_relaxed);
  const float f0 = 440.f * std::exp2((semis - 69.f) / 12.f);
  // Voiced while a note is held, its gate events are pending, or its release still runs.
  const float per = (held_count_ > 0 || gate_count_ > 0 || env_ > 0.f) ? 1.f : 0.f;
  const float g = controls_.globalScale();
  for (int i = 0; i < latentSize(); ++i)
    u_[i] = controls_.scale(i) * g * preset_[i].load(std::memory_order_relaxed) + controls_.offset(i);
  float loud = 0.f;
  if (per > 0.f && model_->headReadsLoudness()) {
    const RaveConfig& c = model_->config();
    const float level = note_gain_ * volume_ * expression_;
    if (level > 0.f) {
      const double db = kNoteLoudnessDb + 20.0 * std::log10(static_cast<double>(level));
      const double l = (db - c.loudness_floor_db) / -c.loudness_floor_db;
      loud = static_cast<float>(l < 0.0 ? 0.0 : (l > c.loudness_max ? c.loudness_max : l));
    }
  }
  model_->decodeWithPitch(u_.data(), &f0, &per, 1, frame_.data(), &loud);
  f0_now_.store(per > 0.f ? f0 : 0.f, std::memory_order_relaxed);
}

void RaveSynth::render(float* out, int n) noexcept {
  DenormalGuard guard;
  const int R = ratio();
  updateLevel();  // volume/expression/gain changes of this block
  int done = 0;
  while (done < n) {
    const int phase = static_cast<int>(clock_ % static_cast<uint64_t>(R));
    if (phase == 0) decodeFrame();
    const int chunk = std::min(n - done, R - phase);
    const float* src = frame_.data() + phase;
    float* dst = out + done;
    for (int i = 0; i < chunk; ++i) {
      const uint64_t now = clock_ + static_cast<uint64_t>(i);
      while (gate_count_ > 0 && gates_[gate_head_].time <= now) {
        applyGate(gates_[gate_head_]);
        gate_head_ = (gate_head_ + 1) % kGateQueue;
        --gate_count_;
        updateLevel();
      }
      if (env_step_ != 0.f) {
        env_ += env_step_;
        if (env_ >= 1.f) {
          env_ = 1.f;
          env_step_ = 0.f;
        } else if (env_ <= 0.f) {
          env_ = 0.f;
          env_step_ = 0.f;
        }
      }
      amp_ += (amp_target_ - amp_) * amp_coef_;
      dst[i] = env_ > 0.f ? src[i] * env_ * amp_ : 0.f;
    }
    clock_ += static_cast<uint64_t>(chunk);
    done += chunk;
  }
}

}  // namespace rt_synth::rave
