#include "models/rave_harmonic_head.h"

#include <cmath>

#include "format/layer_loader.h"
#include "layers/activations.h"

namespace rt_synth {

namespace {
// harmonic_head.py: AMPLITUDE_MAX, AMPLITUDE_EXPONENT (ln 10, as float32), AMPLITUDE_FLOOR
constexpr float kAmplitudeMax = 2.f;
constexpr float kAmplitudeExponent = 2.302585092994046f;
constexpr float kAmplitudeFloor = 1e-7f;
}  // namespace

Error RaveHarmonicHead::load(const ModelFile& f, const RaveConfig& c) noexcept {
  harmonics_ = c.harmonics;
  slope_ = c.leaky_slope;
  const std::string p = "decoder.harmonic_head.";
  if (Error e = load_conv1d(f, p + "conv.conv", c.harmonic_channels, c.latent_size, c.kernel, 1, 1, conv_)) return e;
  return load_conv1d(f, p + "out.conv", 1 + c.harmonics, c.harmonic_channels, 1, 1, 1, out_);
}

Error RaveHarmonicHead::prepare() noexcept {
  if (Error e = conv_.prepare(1)) return e;
  if (Error e = out_.prepare(1)) return e;
  if (!h_.allocate(static_cast<std::size_t>(conv_.out_channels())) || !r_.allocate(static_cast<std::size_t>(1 + harmonics_)))
    return make_error(ErrorCode::kTooLarge, "RaveHarmonicHead: allocation failed");
  return Error::none();
}

void RaveHarmonicHead::reset() noexcept {
  conv_.reset();
  out_.reset();
}

void RaveHarmonicHead::process(const float* z, float* alpha) noexcept {
  float* h = h_.data();
  float* r = r_.data();
  conv_.process(z, h, 1);
  leaky_relu_inplace(h, conv_.out_channels(), slope_);
  out_.process(h, r, 1);
  // A = 2·sigmoid(r0)^ln10 + 1e-7 (non-finite r0 from a broken file: sigmoid saturates or NaN,
  // which the model's output stage removes)
  const float sig = 1.f / (1.f + std::exp(-r[0]));
  const float a = kAmplitudeMax * std::pow(sig, kAmplitudeExponent) + kAmplitudeFloor;
  float mx = r[1];
  for (int k = 2; k <= harmonics_; ++k) mx = r[k] > mx ? r[k] : mx;
  float sum = 0.f;
  for (int k = 1; k <= harmonics_; ++k) {
    const float e = std::exp(r[k] - mx);
    alpha[k - 1] = e;
    sum += e;
  }
  const float scale = a / sum;
  for (int k = 0; k < harmonics_; ++k) {
    const float v = alpha[k] * scale;
    alpha[k] = std::isfinite(v) ? v : 0.f;  // a broken file must not poison the ramp's state
  }
}

}  // namespace rt_synth
