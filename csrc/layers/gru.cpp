#include "layers/gru.h"

#include <cmath>
#include <cstddef>
#include <cstring>

namespace rt_synth {

Error GRU::set_weights(const float* weight_ih, const float* weight_hh, const float* bias_ih,
                       const float* bias_hh, int input_size, int hidden_size) noexcept {
  if (!weight_ih || !weight_hh || input_size <= 0 || hidden_size <= 0)
    return make_error(ErrorCode::kInvalidArgument, "GRU: need weights and positive sizes");
  if (!wih_.pack(weight_ih, bias_ih, 3 * hidden_size, input_size) ||
      !whh_.pack(weight_hh, bias_hh, 3 * hidden_size, hidden_size))
    return make_error(ErrorCode::kTooLarge, "GRU: allocation failed");
  g_ = hidden_size;
  if (max_batch_ > 0) return prepare(max_batch_);
  return Error::none();
}

Error GRU::prepare(int max_batch) noexcept {
  if (g_ <= 0) return make_error(ErrorCode::kInvalidArgument, "GRU: set_weights before prepare");
  if (max_batch <= 0 || max_batch > 4096) return make_error(ErrorCode::kInvalidArgument, "GRU: max_batch out of range");
  const std::size_t g = static_cast<std::size_t>(g_), mb = static_cast<std::size_t>(max_batch);
  if (!h_.allocate(mb * g) || !gi_.allocate(mb * 3 * g) || !gh_.allocate(mb * 3 * g))
    return make_error(ErrorCode::kTooLarge, "GRU: allocation failed");
  max_batch_ = max_batch;
  return Error::none();
}

void GRU::reset() noexcept { h_.zero(); }

void GRU::reset_voice(int b) noexcept {
  if (b >= 0 && b < max_batch_) std::memset(h_.data() + static_cast<std::size_t>(b) * g_, 0, sizeof(float) * g_);
}

void GRU::step(const float* x, float* out, int batch) noexcept {
  if (batch <= 0) return;
  if (batch > max_batch_) batch = max_batch_;
  const int g = g_, g3 = 3 * g_;
  float* h = h_.data();
  float* gi = gi_.data();
  float* gh = gh_.data();
  kernels::gemm(wih_, x, wih_.in(), gi, g3, batch);  // W_i· x + b_i·  (r, z, n)
  kernels::gemm(whh_, h, g, gh, g3, batch);          // W_h· h + b_h·  (r, z, n)
  for (int b = 0; b < batch; ++b) {
    float* gib = gi + static_cast<std::size_t>(b) * g3;
    const float* ghb = gh + static_cast<std::size_t>(b) * g3;
    float* hb = h + static_cast<std::size_t>(b) * g;
    for (int i = 0; i < 2 * g; ++i) gib[i] += ghb[i];
    kernels::sigmoid_inplace(gib, 2 * g);  // r | z
    float* n = gib + 2 * g;
    for (int i = 0; i < g; ++i) n[i] += gib[i] * ghb[2 * g + i];  // b_hn stays inside r ⊙ (·)
    kernels::tanh_inplace(n, g);
    const float* z = gib + g;
    for (int i = 0; i < g; ++i) {
      const float hn = n[i] + z[i] * (hb[i] - n[i]);  // (1−z)·n + z·h
      // fmax/fmin return the non-NaN operand: a NaN becomes −1, never enters the state.
      hb[i] = std::fmin(std::fmax(hn, -1.f), 1.f);
    }
    if (out) std::memcpy(out + static_cast<std::size_t>(b) * g, hb, sizeof(float) * g);
  }
}

}  // namespace rt_synth
