#include "kinds/rave/rave_encoder.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "format/layer_loader.h"
#include "layers/activations.h"

namespace rt_synth {

Error RaveEncoder::load(const ModelFile& f, const RaveConfig& c) noexcept {
  try {
    latent_ = c.latent_size;
    slope_ = c.leaky_slope;
    channels_ = c.encoder_channels;
    const auto& ch = c.encoder_channels;
    if (Error e = load_conv1d(f, "encoder.conv_in.conv", ch[0], c.n_bands, 2 * c.kernel + 1, 1, 1, conv_in_)) return e;
    stages_.assign(c.encoder_strides.size(), Stage());
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      const std::string p = "encoder.stages." + std::to_string(i);
      const int s = c.encoder_strides[i];
      if (Error e = stages_[i].residual.load(f, p + ".residual", ch[i], c.kernel, 1, c.leaky_slope)) return e;
      if (Error e = load_conv1d(f, p + ".down.conv", ch[i + 1], ch[i], 2 * s, s, 1, stages_[i].down)) return e;
    }
    return load_conv1d(f, "encoder.conv_out.conv", 2 * c.latent_size, ch.back(), c.kernel, 1, 1, conv_out_);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory building the RAVE encoder");
  }
}

Error RaveEncoder::prepare(int max_band_frames) noexcept {
  // Every level sees at most max_band_frames frames per call (strided levels see fewer).
  const int n = std::max(1, max_band_frames);
  if (Error e = conv_in_.prepare(n)) return e;
  for (Stage& s : stages_) {
    if (Error e = s.residual.prepare(n)) return e;
    if (Error e = s.down.prepare(n)) return e;
  }
  if (Error e = conv_out_.prepare(n)) return e;
  int cmax = 2 * latent_;
  for (int c : channels_) cmax = std::max(cmax, c);
  if (!a_.allocate(static_cast<std::size_t>(cmax) * n) || !b_.allocate(static_cast<std::size_t>(cmax) * n))
    return make_error(ErrorCode::kTooLarge, "RaveEncoder: allocation failed");
  max_frames_ = n;
  return Error::none();
}

void RaveEncoder::reset() noexcept {
  conv_in_.reset();
  for (Stage& s : stages_) {
    s.residual.reset();
    s.down.reset();
  }
  conv_out_.reset();
}

int RaveEncoder::outputFrames(int n) const noexcept {
  for (const Stage& s : stages_) n = s.down.output_frames(n);
  return n;
}

int RaveEncoder::process(const float* bands, float* mean, int n) noexcept {
  if (n <= 0) return 0;
  if (n > max_frames_) n = max_frames_;
  float* a = a_.data();
  float* b = b_.data();
  int m = conv_in_.process(bands, a, n);
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& s = stages_[i];
    s.residual.process(a, m);
    leaky_relu_inplace(a, channels_[i] * m, slope_);
    m = s.down.process(a, b, m);
    std::swap(a, b);
  }
  if (m == 0) return 0;
  leaky_relu_inplace(a, channels_.back() * m, slope_);
  conv_out_.process(a, b, m);
  std::memcpy(mean, b, sizeof(float) * latent_ * m);  // rows 0..D−1 of [2D][m]
  return m;
}

}  // namespace rt_synth
