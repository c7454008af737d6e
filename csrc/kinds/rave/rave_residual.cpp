#include "kinds/rave/rave_residual.h"

#include <cstring>

#include "format/layer_loader.h"
#include "layers/activations.h"

namespace rt_synth {

Error RaveResidualUnit::load(const ModelFile& f, const std::string& prefix, int channels, int kernel, int dilation,
                             float slope) noexcept {
  channels_ = channels;
  slope_ = slope;
  if (Error e = load_conv1d(f, prefix + ".conv.conv", channels, channels, kernel, 1, dilation, conv_)) return e;
  return load_conv1d(f, prefix + ".mix.conv", channels, channels, 1, 1, 1, mix_);
}

Error RaveResidualUnit::prepare(int max_frames) noexcept {
  if (Error e = conv_.prepare(max_frames)) return e;
  if (Error e = mix_.prepare(max_frames)) return e;
  const std::size_t n = static_cast<std::size_t>(channels_) * max_frames;
  if (!a_.allocate(n) || !b_.allocate(n)) return make_error(ErrorCode::kTooLarge, "RaveResidualUnit: allocation failed");
  return Error::none();
}

void RaveResidualUnit::reset() noexcept {
  conv_.reset();
  mix_.reset();
}

void RaveResidualUnit::process(float* x, int n) noexcept {
  if (n <= 0) return;
  const int cn = channels_ * n;
  float* a = a_.data();
  float* b = b_.data();
  std::memcpy(a, x, sizeof(float) * cn);
  leaky_relu_inplace(a, cn, slope_);
  conv_.process(a, b, n);
  leaky_relu_inplace(b, cn, slope_);
  mix_.process(b, a, n);
  for (int i = 0; i < cn; ++i) x[i] += a[i];
}

}  // namespace rt_synth
