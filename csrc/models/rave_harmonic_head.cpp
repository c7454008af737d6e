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
  latent_ = c.latent_size;
  slope_ = c.leaky_slope;
  with_f0_ = c.harmonic_f0;
  // as PyTorch: float32 tensors against the Python floats f0_min and log2(f0_max/f0_min)
  f0_min_ = static_cast<float>(c.pitch_f0_min);
  octaves_ = static_cast<float>(std::log2(c.pitch_f0_max / c.pitch_f0_min));
  const std::string p = "decoder.harmonic_head.";
  const int in = c.latent_size + (with_f0_ ? 2 : 0);
  if (Error e = load_conv1d(f, p + "conv.conv", c.harmonic_channels, in, c.kernel, 1, 1, conv_)) return e;
  return load_conv1d(f, p + "out.conv", 1 + c.harmonics, c.harmonic_channels, 1, 1, 1, out_);
}

Error RaveHarmonicHead::prepare() noexcept {
  if (Error e = conv_.prepare(1)) return e;
  if (Error e = out_.prepare(1)) return e;
  if (!x_.allocate(static_cast<std::size_t>(conv_.in_channels())) ||
      !h_.allocate(static_cast<std::size_t>(conv_.out_channels())) || !r_.allocate(static_cast<std::size_t>(1 + harmonics_)))
    return make_error(ErrorCode::kTooLarge, "RaveHarmonicHead: allocation failed");
  return Error::none();
}

void RaveHarmonicHead::reset() noexcept {
  conv_.reset();
  out_.reset();
}

void RaveHarmonicHead::process(const float* z, float f0, float periodicity, float* alpha) noexcept {
  float* h = h_.data();
  float* r = r_.data();
  const float* x = z;
  if (with_f0_) {
    float* in = x_.data();
    for (int i = 0; i < latent_; ++i) in[i] = z[i];
    const float f = (f0 >= f0_min_) ? f0 : f0_min_;  // NaN too
    float q = std::log2(f / f0_min_) / octaves_;
    q = q < 0.f ? 0.f : (q > 1.f ? 1.f : q);  // +Inf f0 → 1
    const float p = (periodicity >= 0.f) ? (periodicity > 1.f ? 1.f : periodicity) : 0.f;
    in[latent_] = q;
    in[latent_ + 1] = p;
    x = in;
  }
  conv_.process(x, h, 1);
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
