#include "kinds/rave/rave_pitch_source.h"

#include <cmath>
#include <cstddef>

namespace rt_synth {

namespace {
constexpr double kTwoPi = 2.0 * 3.14159265358979323846;  // == 2.0 * math.pi
constexpr double kSilentHalfSine = 1e-9;                    // |sin(φ/2)| below this: h = 0
}  // namespace

void RavePitchSource::configure(const RaveConfig& c) noexcept {
  sample_rate_ = static_cast<double>(c.sample_rate);
  f0_min_ = c.pitch_f0_min;
  f0_max_ = c.pitch_f0_max;
  harmonic_limit_ = c.pitch_harmonic_limit;
  gate_low_ = c.pitch_gate_low;
  gate_high_ = c.pitch_gate_high;
  level_ = c.pitch_level;
  ratio_ = static_cast<int>(c.ratio);
  reset();
}

void RavePitchSource::reset() noexcept {
  prev_f0_ = f0_min_;
  prev_per_ = 0.0;
  phase_ = 0.0;
  for (double& a : prev_alpha_) a = 0.0;
}

Error RavePitchSource::configureHarmonics(int harmonics) noexcept {
  try {
    prev_alpha_.assign(static_cast<std::size_t>(harmonics > 0 ? harmonics : 0), 0.0);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "RavePitchSource: out of memory for the harmonic head");
  }
  reset();
  return Error::none();
}

double RavePitchSource::clampF0(double f) const noexcept {
  if (!(f >= f0_min_)) return f0_min_;  // NaN too
  return f > f0_max_ ? f0_max_ : f;
}

double RavePitchSource::clampUnit(double p) noexcept {
  if (!(p >= 0.0)) return 0.0;  // NaN too
  return p > 1.0 ? 1.0 : p;
}

void RavePitchSource::render(float f0, float periodicity, float* out, const float* alpha, float* harm) noexcept {
  const int H = static_cast<int>(prev_alpha_.size());
  const bool harmonic = H > 0 && harm != nullptr;
  const double f_prev = prev_f0_, p_prev = prev_per_;
  const double f_cur = clampF0(static_cast<double>(f0));
  const double p_cur = clampUnit(static_cast<double>(periodicity));
  const double df = f_cur - f_prev, dp = p_cur - p_prev;
  const double R = static_cast<double>(ratio_);
  const double inc = kTwoPi / sample_rate_;            // two_pi / sr
  const double k_num = harmonic_limit_ * sample_rate_;  // HARMONIC_LIMIT * sr
  const double gate_span = gate_high_ - gate_low_;
  double phi = phase_;
  for (int i = 0; i < ratio_; ++i) {
    const double w = static_cast<double>(i + 1) / R;
    const double f = f_prev + df * w;
    const double p = p_prev + dp * w;
    phi += f * inc;
    if (phi >= kTwoPi) phi -= kTwoPi;  // f ≤ f0_max < SR/2: one step is below π
    double g = (p - gate_low_) / gate_span;
    g = g < 0.0 ? 0.0 : (g > 1.0 ? 1.0 : g);
    if (g == 0.0) {  // unvoiced: e = 0 whatever h is (and the harmonic audio)
      out[i] = 0.f;
      if (harmonic) harm[i] = 0.f;
      continue;
    }
    double k = std::floor(k_num / f);
    if (k < 1.0) k = 1.0;
    const double half = std::sin(phi * 0.5);
    double h = 0.0;
    if (std::fabs(half) >= kSilentHalfSine) h = std::sin(k * phi * 0.5) * std::sin((k + 1.0) * phi * 0.5) / half;
    out[i] = static_cast<float>(level_ * std::sqrt(2.0 / k) * g * h);
    if (harmonic) {
      // a_k = prev_k + (α_k − prev_k)·w; sin kφ = 2 cos φ · sin (k−1)φ − sin (k−2)φ
      const int kmax = k < static_cast<double>(H) ? static_cast<int>(k) : H;
      const double c2 = 2.0 * std::cos(phi);
      double s_prev = 0.0, s = std::sin(phi), acc = 0.0;
      for (int j = 0; j < kmax; ++j) {
        const double a0 = prev_alpha_[static_cast<std::size_t>(j)];
        const double a1 = alpha ? static_cast<double>(alpha[j]) : 0.0;
        acc += (a0 + (a1 - a0) * w) * s;
        const double s_next = c2 * s - s_prev;
        s_prev = s;
        s = s_next;
      }
      harm[i] = static_cast<float>(g * acc);
    }
  }
  phase_ = phi;
  prev_f0_ = f_cur;
  prev_per_ = p_cur;
  if (harmonic)
    for (int j = 0; j < H; ++j) prev_alpha_[static_cast<std::size_t>(j)] = alpha ? static_cast<double>(alpha[j]) : 0.0;
}

}  // namespace rt_synth
