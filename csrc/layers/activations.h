#pragma once
// Element-wise activations, applied in place over n contiguous floats. Real-time safe.
// tanh and sigmoid use the dispatched rational kernels (|err| < 2e-7 against std::tanh).
#include <cmath>

#include "layers/kernels.h"

namespace rt_synth {

enum class Activation { kIdentity, kTanh, kSigmoid, kLeakyRelu, kRelu, kElu, kSilu };

inline void leaky_relu_inplace(float* x, int n, float slope) noexcept {
  for (int i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : slope * x[i];
}
inline void elu_inplace(float* x, int n, float alpha) noexcept {
  for (int i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : alpha * std::expm1(x[i]);
}
inline void silu_inplace(float* x, int n) noexcept {
  for (int i = 0; i < n; ++i) x[i] = x[i] / (1.f + std::exp(-x[i]));
}

// alpha: LeakyReLU negative slope (PyTorch default 0.01) or ELU alpha (default 1).
inline void apply_activation(Activation a, float* x, int n, float alpha = 0.01f) noexcept {
  switch (a) {
    case Activation::kIdentity: return;
    case Activation::kTanh: kernels::tanh_inplace(x, n); return;
    case Activation::kSigmoid: kernels::sigmoid_inplace(x, n); return;
    case Activation::kLeakyRelu: leaky_relu_inplace(x, n, alpha); return;
    case Activation::kRelu: leaky_relu_inplace(x, n, 0.f); return;
    case Activation::kElu: elu_inplace(x, n, alpha); return;
    case Activation::kSilu: silu_inplace(x, n); return;
  }
}

}  // namespace rt_synth
