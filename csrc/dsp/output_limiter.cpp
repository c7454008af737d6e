#include "dsp/output_limiter.h"

#include <algorithm>
#include <cmath>

namespace rt_synth {

namespace {
constexpr float kKnee = 0.9f;            // soft clip starts at 90 % of the ceiling
constexpr float kThresholdDb = -1.f;     // gain reduction starts 1 dB below the ceiling
constexpr double kReleaseSeconds = 0.08;
inline float dbToLin(float db) { return std::pow(10.f, db / 20.f); }
}  // namespace

void OutputLimiter::prepare(double sample_rate) noexcept {
  const double sr = sample_rate > 0 && std::isfinite(sample_rate) ? sample_rate : 48000.0;
  release_coef_ = static_cast<float>(std::exp(-1.0 / (kReleaseSeconds * sr)));
  reset();
}

void OutputLimiter::setCeilingDb(float db) noexcept {
  if (std::isnan(db)) return;
  ceiling_db_.store(std::clamp(db, kMinCeilingDb, kMaxCeilingDb), std::memory_order_relaxed);
}

float OutputLimiter::ceiling() const noexcept { return dbToLin(ceilingDb()); }

float OutputLimiter::gain() const noexcept {
  const float thr = dbToLin(ceilingDb() + kThresholdDb);
  return peak_ > thr ? thr / peak_ : 1.f;
}

void OutputLimiter::process(float* x, int n) noexcept {
  const float db = ceilingDb();
  const float ceiling = dbToLin(db), threshold = dbToLin(db + kThresholdDb);
  const float inv_c = 1.f / ceiling;
  for (int i = 0; i < n; ++i) {
    float v = x[i];
    if (!std::isfinite(v)) {
      v = 0.f;
      peak_ = 0.f;
    }
    const float a = std::fabs(v);
    peak_ = std::max(a, peak_ * release_coef_);
    if (peak_ <= threshold) {  // the normal case: untouched, bit for bit
      x[i] = v;
      continue;
    }
    if (peak_ > 1e30f) peak_ = 1e30f;
    float u = v * (threshold / peak_) * inv_c;
    const float au = std::fabs(u);
    if (au > kKnee) {
      const float s = kKnee + (1.f - kKnee) * std::tanh((au - kKnee) / (1.f - kKnee));
      u = u < 0.f ? -s : s;
    }
    x[i] = std::clamp(u * ceiling, -ceiling, ceiling);
  }
}

}  // namespace rt_synth
