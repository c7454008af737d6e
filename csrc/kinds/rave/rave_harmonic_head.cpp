#include "kinds/rave/rave_harmonic_head.h"

#include <cmath>
#include <string>

#include "format/layer_loader.h"
#include "layers/activations.h"

namespace rt_synth {

namespace {
// harmonic_head.py: AMPLITUDE_MAX, AMPLITUDE_EXPONENT (ln 10, as float32), AMPLITUDE_FLOOR
constexpr float kAmplitudeMax = 2.f;
constexpr float kAmplitudeExponent = 2.302585092994046f;
constexpr float kAmplitudeFloor = 1e-7f;

inline float expSigmoid(float r) noexcept {
  const float sig = 1.f / (1.f + std::exp(-r));
  return kAmplitudeMax * std::pow(sig, kAmplitudeExponent) + kAmplitudeFloor;
}
}  // namespace

Error RaveHarmonicHead::load(const ModelFile& f, const RaveConfig& c) noexcept {
  try {
    harmonics_ = c.harmonics;
    latent_ = c.latent_size;
    slope_ = c.leaky_slope;
    with_latent_ = c.harmonic_latent;
    with_f0_ = c.harmonic_f0;
    with_loudness_ = c.harmonic_loudness;
    noise_bands_ = c.harmonic_noise ? c.n_bands : 0;
    loudness_max_ = static_cast<float>(c.loudness_max);
    // as PyTorch: float32 tensors against the Python floats f0_min and log2(f0_max/f0_min)
    f0_min_ = static_cast<float>(c.pitch_f0_min);
    octaves_ = static_cast<float>(std::log2(c.pitch_f0_max / c.pitch_f0_min));
    const std::string p = "decoder.harmonic_head.";
    const int C = c.harmonic_channels;
    if (Error e = load_conv1d(f, p + "conv.conv", C, c.harmonicInputs(), c.kernel, 1, 1, conv_)) return e;
    hidden_.assign(static_cast<std::size_t>(c.harmonic_layers - 1), CachedConv1d());
    for (std::size_t j = 0; j < hidden_.size(); ++j)
      if (Error e = load_conv1d(f, p + "hidden." + std::to_string(j) + ".conv", C, C, 1, 1, 1, hidden_[j])) return e;
    // a hidden layer beyond the declared count: the file and its key disagree (a silently
    // skipped layer would play a different network)
    const std::string extra = p + "hidden." + std::to_string(hidden_.size()) + ".conv.weight";
    if (f.has_tensor(extra))
      return make_error(ErrorCode::kBadValue, f.name() + ": rt_synth.rave.harmonic_layers = " +
                                                  std::to_string(c.harmonic_layers) + ", but the file has the tensor '" +
                                                  extra + "': expected harmonic_layers = " +
                                                  std::to_string(c.harmonic_layers + 1) + " or more");
    return load_conv1d(f, p + "out.conv", 1 + c.harmonics + noise_bands_, C, 1, 1, 1, out_);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory building the harmonic head");
  }
}

Error RaveHarmonicHead::prepare() noexcept {
  if (Error e = conv_.prepare(1)) return e;
  for (CachedConv1d& l : hidden_)
    if (Error e = l.prepare(1)) return e;
  if (Error e = out_.prepare(1)) return e;
  const std::size_t C = static_cast<std::size_t>(conv_.out_channels());
  if (!x_.allocate(static_cast<std::size_t>(conv_.in_channels())) || !h_.allocate(C) || !h2_.allocate(C) ||
      !r_.allocate(static_cast<std::size_t>(1 + harmonics_ + noise_bands_)))
    return make_error(ErrorCode::kTooLarge, "RaveHarmonicHead: allocation failed");
  return Error::none();
}

void RaveHarmonicHead::reset() noexcept {
  conv_.reset();
  for (CachedConv1d& l : hidden_) l.reset();
  out_.reset();
}

void RaveHarmonicHead::process(const float* z, float f0, float periodicity, float loudness, float* alpha,
                               float* gains) noexcept {
  float* h = h_.data();
  float* r = r_.data();
  float* in = x_.data();
  int i = 0;
  if (with_latent_)
    for (; i < latent_; ++i) in[i] = z[i];
  if (with_f0_) {
    const float f = (f0 >= f0_min_) ? f0 : f0_min_;  // NaN too
    float q = std::log2(f / f0_min_) / octaves_;
    q = q < 0.f ? 0.f : (q > 1.f ? 1.f : q);  // +Inf f0 → 1
    const float p = (periodicity >= 0.f) ? (periodicity > 1.f ? 1.f : periodicity) : 0.f;
    in[i++] = q;
    in[i++] = p;
  }
  if (with_loudness_)  // the model computes it within 0..loudness_max; a user value is clamped
    in[i++] = (loudness >= 0.f) ? (loudness > loudness_max_ ? loudness_max_ : loudness) : 0.f;
  conv_.process(in, h, 1);
  const int C = conv_.out_channels();
  leaky_relu_inplace(h, C, slope_);
  float* other = h2_.data();
  for (CachedConv1d& l : hidden_) {
    l.process(h, other, 1);
    leaky_relu_inplace(other, C, slope_);
    float* t = h;
    h = other;
    other = t;
  }
  out_.process(h, r, 1);
  // A = 2·sigmoid(r0)^ln10 + 1e-7 (non-finite r0 from a broken file: sigmoid saturates or NaN,
  // which the model's output stage removes)
  const float a = expSigmoid(r[0]);
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
  if (gains)
    for (int b = 0; b < noise_bands_; ++b) {
      const float g = expSigmoid(r[1 + harmonics_ + b]);
      gains[b] = std::isfinite(g) ? g : 0.f;
    }
}

}  // namespace rt_synth
