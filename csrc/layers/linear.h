#pragma once
// Linear (dense) layer, PyTorch nn.Linear semantics: y = x·Wᵀ + b.
// Batched: rows are independent (voices, frames). No state, so no prepare/reset.
#include "layers/kernels.h"
#include "util/error.h"

namespace rt_synth {

class Linear {
 public:
  // weight [out][in] row-major (PyTorch layout), bias [out] or nullptr. Allocates.
  Error set_weights(const float* weight, const float* bias, int out_features, int in_features) noexcept;

  // in [batch][in_features], out [batch][out_features], both row-major and not overlapping.
  // Real-time safe.
  void forward(const float* in, float* out, int batch) const noexcept {
    kernels::gemm(w_, in, w_.in(), out, w_.out(), batch);
  }

  int in_features() const noexcept { return w_.in(); }
  int out_features() const noexcept { return w_.out(); }
  const PackedMatrix& matrix() const noexcept { return w_; }

 private:
  PackedMatrix w_;
};

}  // namespace rt_synth
