#pragma once
// LayerNorm over the last dimension, PyTorch nn.LayerNorm(features, eps) semantics
// (biased variance, elementwise affine). Batched rows, no state.
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class LayerNorm {
 public:
  // gamma/beta [features]; nullptr means 1 / 0. Allocates.
  Error set_weights(const float* gamma, const float* beta, int features, float eps = 1e-5f) noexcept;

  // in/out [batch][features]; in == out (in place) is allowed. Real-time safe.
  void forward(const float* in, float* out, int batch) const noexcept;

  int features() const noexcept { return n_; }

 private:
  int n_ = 0;
  float eps_ = 1e-5f;
  AlignedBuffer<float> gamma_, beta_;
};

}  // namespace rt_synth
