#include "layers/layer_norm.h"

#include <cmath>
#include <cstddef>

namespace rt_synth {

Error LayerNorm::set_weights(const float* gamma, const float* beta, int features, float eps) noexcept {
  if (features <= 0 || !(eps > 0.f))
    return make_error(ErrorCode::kInvalidArgument, "LayerNorm: need features > 0 and eps > 0");
  if (!gamma_.allocate(features) || !beta_.allocate(features))
    return make_error(ErrorCode::kTooLarge, "LayerNorm: allocation failed");
  for (int i = 0; i < features; ++i) {
    gamma_[i] = gamma ? gamma[i] : 1.f;
    beta_[i] = beta ? beta[i] : 0.f;
  }
  n_ = features;
  eps_ = eps;
  return Error::none();
}

void LayerNorm::forward(const float* in, float* out, int batch) const noexcept {
  const int n = n_;
  const float* g = gamma_.data();
  const float* b = beta_.data();
  for (int r = 0; r < batch; ++r) {
    const float* x = in + static_cast<std::size_t>(r) * n;
    float* y = out + static_cast<std::size_t>(r) * n;
    // Two passes (mean, then centred variance): stable for large offsets.
    float s = 0.f;
    for (int i = 0; i < n; ++i) s += x[i];
    const float mean = s / n;
    float v = 0.f;
    for (int i = 0; i < n; ++i) {
      const float d = x[i] - mean;
      v += d * d;
    }
    const float inv = 1.f / std::sqrt(v / n + eps_);
    for (int i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * g[i] + b[i];
  }
}

}  // namespace rt_synth
