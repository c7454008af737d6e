#include "synth/limiter.h"

#include <algorithm>
#include <cmath>

namespace rt_synth::synth {

namespace {
constexpr float kKnee = 0.9f;  // soft clip starts at 90 % of the ceiling
}

void Limiter::prepare(double sample_rate) noexcept {
  sr_ = sample_rate > 0 ? sample_rate : 48000.0;
  release_coef_ = static_cast<float>(std::exp(-1.0 / (0.08 * sr_)));  // 80 ms release
  setCeilingDb(-1.f);
  reset();
}

void Limiter::setCeilingDb(float db) noexcept {
  if (!std::isfinite(db)) db = -1.f;
  db = std::clamp(db, -24.f, 0.f);
  ceiling_ = std::pow(10.f, db / 20.f);
  threshold_ = ceiling_ * std::pow(10.f, -1.f / 20.f);
}

float Limiter::gain() const noexcept { return peak_ > threshold_ ? threshold_ / peak_ : 1.f; }

void Limiter::process(float* x, int n) noexcept {
  const float inv_c = 1.f / ceiling_;
  for (int i = 0; i < n; ++i) {
    float v = x[i];
    if (!std::isfinite(v)) { v = 0.f; peak_ = 0.f; }
    const float a = std::fabs(v);
    peak_ = std::max(a, peak_ * release_coef_);
    if (peak_ > 1e30f) peak_ = 1e30f;
    const float g = peak_ > threshold_ ? threshold_ / peak_ : 1.f;
    float u = v * g * inv_c;
    const float au = std::fabs(u);
    if (au > kKnee) {
      const float s = kKnee + (1.f - kKnee) * std::tanh((au - kKnee) / (1.f - kKnee));
      u = u < 0.f ? -s : s;
    }
    x[i] = u * ceiling_;
  }
}

}  // namespace rt_synth::synth
