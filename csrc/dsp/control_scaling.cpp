#include "dsp/control_scaling.h"

#include <cmath>

namespace rt_synth::dsp {

float expSigmoid(float x) {
  if (std::isnan(x)) return 1e-7f;
  const double v = static_cast<double>(x);
  // softplus(−v) = log(1 + e^{−v}), stable for both signs
  const double sp = v > 0 ? std::log1p(std::exp(-v)) : -v + std::log1p(std::exp(v));
  return static_cast<float>(2.0 * std::exp(-2.302585092994045684 * sp) + 1e-7);
}

void harmonicAmplitudes(float a_raw, const float* d_raw, int n_harmonics, float f0_hz,
                        float sample_rate, float* amplitudes) {
  const double a = expSigmoid(a_raw);
  const float nyquist = 0.5f * sample_rate;
  double sum = 0.0;
  for (int k = 0; k < n_harmonics; ++k) {
    const bool ok = static_cast<float>(k + 1) * f0_hz < nyquist;
    const float d = ok ? expSigmoid(d_raw[k]) : 0.0f;
    amplitudes[k] = d;
    sum += d;
  }
  const double scale = a / (sum + 1e-7);
  for (int k = 0; k < n_harmonics; ++k)
    amplitudes[k] = static_cast<float>(amplitudes[k] * scale);
}

void noiseMagnitudes(const float* n_raw, int n_bands, float* magnitudes) {
  for (int b = 0; b < n_bands; ++b) magnitudes[b] = expSigmoid(n_raw[b] - 5.0f);
}

}  // namespace rt_synth::dsp
