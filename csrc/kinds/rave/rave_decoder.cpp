#include "kinds/rave/rave_decoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "dsp/counter_noise.h"
#include "format/layer_loader.h"
#include "layers/activations.h"

namespace rt_synth {

namespace {
constexpr double kPi = 3.141592653589793;  // Python's math.pi
}  // namespace

Error RaveDecoder::load(const ModelFile& f, const RaveConfig& c) noexcept {
  try {
    const auto& ch = c.decoder_channels;
    channels_ = ch;
    bands_ = c.n_bands;
    re_ = c.encoderRatio();
    slope_ = c.leaky_slope;
    noise_ = c.noise;
    // as PyTorch: the Python floats f and 1 − f (double) applied to float32 tensors
    gate_floor_ = static_cast<float>(c.decoder_gate_floor);
    gate_span_ = static_cast<float>(1.0 - c.decoder_gate_floor);
    excitation_ = c.pitch_source && !c.decoder_strides.empty();
    // as PyTorch: a = exp(−2π·fc·M / sr) and 1 − a in double, applied in float32
    dc_block_ = c.decoder_dc_block_hz > 0.0;
    const double a = dc_block_ ? std::exp(-2.0 * kPi * c.decoder_dc_block_hz * c.n_bands / c.sample_rate) : 0.0;
    dc_a_ = static_cast<float>(a);
    dc_b_ = static_cast<float>(1.0 - a);
    dc_mean_.assign(dc_block_ ? static_cast<std::size_t>(c.n_bands) : 0u, 0.f);
    seed_ = c.noise_seed;
    if (Error e = load_conv1d(f, "decoder.conv_in.conv", ch[0], c.latent_size, c.kernel, 1, 1, conv_in_)) return e;
    stages_.assign(c.decoder_strides.size(), Stage());
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      const std::string p = "decoder.stages." + std::to_string(i);
      const int s = c.decoder_strides[i];
      if (Error e = load_conv_transpose1d(f, p + ".up.conv", ch[i], ch[i + 1], 2 * s, s, stages_[i].up)) return e;
      if (c.pitch_source && i + 1 == stages_.size()) {
        if (Error e = load_conv1d(f, p + ".exc_in.conv", ch[i + 1], c.n_bands, c.kernel, 1, 1, exc_in_)) return e;
        if (Error e = load_conv1d(f, p + ".exc_film.conv", ch[i + 1], ch[i + 1], 1, 1, 1, exc_film_)) return e;
      }
      stages_[i].residuals.assign(c.dilations.size(), RaveResidualUnit());
      for (std::size_t j = 0; j < c.dilations.size(); ++j)
        if (Error e = stages_[i].residuals[j].load(f, p + ".residuals." + std::to_string(j), ch[i + 1], c.kernel,
                                                   c.dilations[j], c.leaky_slope))
          return e;
    }
    return load_conv1d(f, "decoder.conv_out.conv", c.headChannels(), ch.back(), c.kernel, 1, 1, conv_out_);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory building the RAVE decoder");
  }
}

Error RaveDecoder::prepare(int max_latent_frames) noexcept {
  const int m = std::max(1, max_latent_frames);
  const int n = m * re_;  // the most frames any level sees per call
  if (Error e = conv_in_.prepare(m)) return e;
  int frames = m;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& s = stages_[i];
    if (Error e = s.up.prepare(frames)) return e;
    frames *= s.up.stride();
    for (RaveResidualUnit& r : s.residuals)
      if (Error e = r.prepare(frames)) return e;
  }
  if (Error e = conv_out_.prepare(n)) return e;
  int cmax = 3 * bands_;
  for (int c : channels_) cmax = std::max(cmax, c);
  if (!a_.allocate(static_cast<std::size_t>(cmax) * n) || !b_.allocate(static_cast<std::size_t>(cmax) * n))
    return make_error(ErrorCode::kTooLarge, "RaveDecoder: allocation failed");
  if (excitation_) {
    if (Error e = exc_in_.prepare(n)) return e;
    if (Error e = exc_film_.prepare(n)) return e;
    const std::size_t c = static_cast<std::size_t>(channels_.back()) * n;
    if (!exc_a_.allocate(c) || !exc_b_.allocate(c) || !exc_zero_.allocate(static_cast<std::size_t>(bands_) * n))
      return make_error(ErrorCode::kTooLarge, "RaveDecoder: allocation failed");
    exc_zero_.zero();
  }
  max_latent_ = m;
  return Error::none();
}

void RaveDecoder::reset() noexcept {
  conv_in_.reset();
  for (Stage& s : stages_) {
    s.up.reset();
    for (RaveResidualUnit& r : s.residuals) r.reset();
  }
  exc_in_.reset();
  exc_film_.reset();
  conv_out_.reset();
  std::fill(dc_mean_.begin(), dc_mean_.end(), 0.f);
}

void RaveDecoder::inject(float* h, const float* exc, int n) noexcept {
  float* e = exc_a_.data();
  float* film = exc_b_.data();
  exc_in_.process(exc ? exc : exc_zero_.data(), e, n);
  exc_film_.process(h, film, n);
  const int cn = channels_.back() * n;
  for (int i = 0; i < cn; ++i) h[i] += e[i] * (1.f + film[i]);
}

int RaveDecoder::process(const float* z, float* bands, int m, uint64_t first_sample, const float* exc) noexcept {
  if (m <= 0) return 0;
  if (m > max_latent_) m = max_latent_;
  float* a = a_.data();
  float* b = b_.data();
  int n = conv_in_.process(z, a, m);
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& s = stages_[i];
    leaky_relu_inplace(a, channels_[i] * n, slope_);
    n = s.up.process(a, b, n);
    std::swap(a, b);
    if (excitation_ && i + 1 == stages_.size()) inject(a, exc, n);
    for (RaveResidualUnit& r : s.residuals) r.process(a, n);
  }
  leaky_relu_inplace(a, channels_.back() * n, slope_);
  conv_out_.process(a, b, n);  // h [2M or 3M][n]
  const int M = bands_;
  // bands = h[0:M]·sigmoid(h[M:2M]) (+ sigmoid(h[2M:3M])·noise), in place in h's rows.
  float* amp = b + static_cast<std::size_t>(M) * n;
  kernels::sigmoid_inplace(amp, (noise_ ? 2 : 1) * M * n);
  if (gate_floor_ != 0.f)
    for (int i = 0; i < M * n; ++i) amp[i] = gate_floor_ + gate_span_ * amp[i];
  for (int k = 0; k < M; ++k) {
    const float* w = b + static_cast<std::size_t>(k) * n;
    const float* g = amp + static_cast<std::size_t>(k) * n;
    float* dst = bands + static_cast<std::size_t>(k) * n;
    for (int j = 0; j < n; ++j) dst[j] = w[j] * g[j];
    if (dc_block_) {
      float mean = dc_mean_[k];
      for (int j = 0; j < n; ++j) {
        mean = dc_a_ * mean + dc_b_ * dst[j];
        dst[j] -= mean;
      }
      dc_mean_[k] = mean;
    }
    if (noise_) {
      const float* na = amp + static_cast<std::size_t>(M + k) * n;
      for (int j = 0; j < n; ++j)
        dst[j] += na[j] * dsp::counterNoiseValue(seed_, first_sample + static_cast<uint64_t>(j) * M + k);
    }
  }
  return n;
}

}  // namespace rt_synth
