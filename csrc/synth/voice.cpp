#include "synth/voice.h"

#include <algorithm>
#include <cmath>

#include "dsp/control_scaling.h"

namespace rt_synth::synth {

void Voice::prepare(const DDSPConfig& cfg, int /*slot*/) {
  k_ = static_cast<int>(cfg.n_harmonics);
  b_ = static_cast<int>(cfg.n_noise_bands);
  hop_ = static_cast<int>(cfg.hop);
  osc_.prepare(cfg.sample_rate, hop_, k_);
  noise_.prepare(hop_, b_);
  amps_.assign(k_, 0.f);
  mags_.assign(b_, 0.f);
  frame_noise_.assign(hop_, 0.f);
  buf_.assign(hop_, 0.f);
  env.setSampleRate(cfg.sample_rate);
  clear();
}

void Voice::clear() noexcept {
  state = State::kIdle;
  note = -1;
  key_down = sustained = false;
  pending_note = -1;
  pending_released = false;
  env.reset();
  osc_.reset();
  noise_.reset();
  fade_ = 1.f;
  fade_step_ = 0.f;
  ++epoch_;
}

void Voice::start(int n, int vel, float ld, uint64_t a, uint64_t seed) noexcept {
  osc_.reset();
  noise_.reset();
  gen_.reset(seed);
  seed_ = seed;
  ++epoch_;
  ++seed_epoch_;
  env.reset();
  env.noteOn();
  state = State::kPlaying;
  note = n;
  velocity = vel;
  age = a;
  key_down = true;
  sustained = false;
  pitch = target_pitch = n;
  note_loudness_db = ld;
  pending_note = -1;
  pending_released = false;
  fade_ = 1.f;
  fade_step_ = 0.f;
}

void Voice::retrigger(int n, int vel, float ld, uint64_t a) noexcept {
  env.noteOn();
  note = n;
  velocity = vel;
  age = a;
  key_down = true;
  sustained = false;
  target_pitch = n;
  note_loudness_db = ld;
}

void Voice::beginFade(int samples) noexcept {
  if (state != State::kPlaying) return;
  state = State::kFading;
  fade_step_ = fade_ / static_cast<float>(std::max(1, samples));
}

void Voice::beginFrame(float f0_hz, const float* raw, float sample_rate) noexcept {
  dsp::harmonicAmplitudes(raw[0], raw + 1, k_, f0_hz, sample_rate, amps_.data());
  dsp::noiseMagnitudes(raw + 1 + k_, b_, mags_.data());
  osc_.beginFrame(f0_hz, amps_.data());
  gen_.generate(frame_noise_.data(), hop_);
  noise_.beginFrame(mags_.data(), frame_noise_.data());
}

void Voice::renderAdd(float* mix, int n) noexcept {
  float* b = buf_.data();
  osc_.render(b, n);
  noise_.renderAdd(b, n);
  const float inv_knee = 1.f / kGateKnee;
  for (int i = 0; i < n; ++i) {
    const float e = env.next();
    const float gate = std::min(1.f, e * inv_knee);
    if (state == State::kFading) {
      fade_ -= fade_step_;
      if (fade_ <= 0.f) fade_ = 0.f;
    }
    float s = b[i] * gate * fade_;
    if (!std::isfinite(s)) s = 0.f;
    mix[i] += s;
  }
  if (!env.active() || (state == State::kFading && fade_ <= 0.f)) {
    state = State::kIdle;
    note = -1;
    key_down = sustained = false;
    fade_ = 1.f;
    fade_step_ = 0.f;
  }
}

}  // namespace rt_synth::synth

namespace rt_synth::synth {

void Voice::saveControl(ControlState& c) const noexcept {
  c.state = state;
  c.note = note;
  c.velocity = velocity;
  c.pending_note = pending_note;
  c.pending_velocity = pending_velocity;
  c.key_down = key_down;
  c.sustained = sustained;
  c.pending_released = pending_released;
  c.age = age;
  c.seed = seed_;
  c.epoch = epoch_;
  c.seed_epoch = seed_epoch_;
  c.pitch = pitch;
  c.target_pitch = target_pitch;
  c.note_loudness_db = note_loudness_db;
  c.fade = fade_;
  c.fade_step = fade_step_;
  c.env = env;
}

void Voice::loadControl(const ControlState& c) noexcept {
  if (c.epoch != epoch_) {  // start() / clear() happened on the control side
    osc_.reset();
    noise_.reset();
    epoch_ = c.epoch;
  }
  if (c.seed_epoch != seed_epoch_) {
    gen_.reset(c.seed);
    seed_ = c.seed;
    seed_epoch_ = c.seed_epoch;
  }
  state = c.state;
  note = c.note;
  velocity = c.velocity;
  pending_note = c.pending_note;
  pending_velocity = c.pending_velocity;
  key_down = c.key_down;
  sustained = c.sustained;
  pending_released = c.pending_released;
  age = c.age;
  pitch = c.pitch;
  target_pitch = c.target_pitch;
  note_loudness_db = c.note_loudness_db;
  fade_ = c.fade;
  fade_step_ = c.fade_step;
  env = c.env;
}

void Voice::advanceControl(int n) noexcept {
  if (state == State::kIdle) return;
  // Exactly the envelope / fade / end logic of renderAdd over a whole frame.
  for (int i = 0; i < n; ++i) {
    env.next();
    if (state == State::kFading) {
      fade_ -= fade_step_;
      if (fade_ <= 0.f) fade_ = 0.f;
    }
  }
  if (!env.active() || (state == State::kFading && fade_ <= 0.f)) {
    state = State::kIdle;
    note = -1;
    key_down = sustained = false;
    fade_ = 1.f;
    fade_step_ = 0.f;
  }
}

}  // namespace rt_synth::synth
