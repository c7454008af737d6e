// Adsr: an amplitude envelope in the linear domain, 0..1, advanced per sample.
//
//   attack   linear ramp from the current value to 1 in attack_s (a retrigger starts from
//            where the envelope is, so it never jumps)
//   decay    one-pole towards `sustain`, time constant decay_s / 3 (≈ 95 % in decay_s)
//   release  one-pole towards −ε (ε = 0.01) with τ = release_s / ln((1+ε)/ε), so that from
//            1 the envelope reaches exactly 0 after release_s and stops: it ends on zero in
//            finite time instead of creeping towards it, hence no step when a voice is
//            freed.
// The voice maps the envelope both to the model's loudness input (20·log10 e, in dB) and,
// below kGateKnee, to a linear output gain, so the audio is exactly silent at the ends
// whatever the model makes of very low loudness (docs/synth-engine.md).
#pragma once

namespace rt_synth::synth {

struct AdsrSettings {
  float attack_s = 0.01f, decay_s = 0.25f, sustain = 0.8f, release_s = 0.3f;
};

class Adsr {
 public:
  enum class Stage { kIdle, kAttack, kDecay, kSustain, kRelease };

  void setSampleRate(double sr) noexcept { sr_ = sr; }
  void set(const AdsrSettings& s) noexcept;
  void reset() noexcept { value_ = 0.f; stage_ = Stage::kIdle; }
  void noteOn() noexcept { stage_ = Stage::kAttack; }
  void noteOff() noexcept { if (stage_ != Stage::kIdle) stage_ = Stage::kRelease; }

  float next() noexcept {
    switch (stage_) {
      case Stage::kIdle: return value_ = 0.f;
      case Stage::kAttack:
        value_ += attack_inc_;
        if (value_ >= 1.f) { value_ = 1.f; stage_ = Stage::kDecay; }
        return value_;
      case Stage::kDecay:
        value_ = sustain_ + (value_ - sustain_) * decay_coef_;
        if (value_ - sustain_ < 1e-5f) { value_ = sustain_; stage_ = Stage::kSustain; }
        return value_;
      case Stage::kSustain:
        // Follows a sustain-level change smoothly.
        value_ = sustain_ + (value_ - sustain_) * decay_coef_;
        return value_;
      case Stage::kRelease:
        value_ = -kEps + (value_ + kEps) * release_coef_;
        if (value_ <= 0.f) { value_ = 0.f; stage_ = Stage::kIdle; }
        return value_;
    }
    return value_;
  }

  float value() const noexcept { return value_; }
  Stage stage() const noexcept { return stage_; }
  bool active() const noexcept { return stage_ != Stage::kIdle; }
  bool releasing() const noexcept { return stage_ == Stage::kRelease; }

  static constexpr float kEps = 0.01f;

 private:
  double sr_ = 48000.0;
  float value_ = 0.f;
  Stage stage_ = Stage::kIdle;
  float sustain_ = 0.8f, attack_inc_ = 1.f, decay_coef_ = 0.f, release_coef_ = 0.f;
};

}  // namespace rt_synth::synth
