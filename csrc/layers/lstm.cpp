#include "layers/lstm.h"

#include <cmath>
#include <cstddef>
#include <cstring>

namespace rt_synth {

Error LSTM::set_weights(const float* weight_ih, const float* weight_hh, const float* bias_ih,
                        const float* bias_hh, int input_size, int hidden_size) noexcept {
  if (!weight_ih || !weight_hh || input_size <= 0 || hidden_size <= 0)
    return make_error(ErrorCode::kInvalidArgument, "LSTM: need weights and positive sizes");
  if (!wih_.pack(weight_ih, bias_ih, 4 * hidden_size, input_size) ||
      !whh_.pack(weight_hh, bias_hh, 4 * hidden_size, hidden_size))
    return make_error(ErrorCode::kTooLarge, "LSTM: allocation failed");
  g_ = hidden_size;
  h0_.allocate(0);  // sized for the old G: back to zeros
  c0_.allocate(0);
  if (max_batch_ > 0) return prepare(max_batch_);
  return Error::none();
}

Error LSTM::prepare(int max_batch) noexcept {
  if (g_ <= 0) return make_error(ErrorCode::kInvalidArgument, "LSTM: set_weights before prepare");
  if (max_batch <= 0 || max_batch > 4096) return make_error(ErrorCode::kInvalidArgument, "LSTM: max_batch out of range");
  const std::size_t g = static_cast<std::size_t>(g_), mb = static_cast<std::size_t>(max_batch);
  if (!h_.allocate(mb * g) || !c_.allocate(mb * g) || !gi_.allocate(mb * 4 * g) || !gh_.allocate(mb * 4 * g))
    return make_error(ErrorCode::kTooLarge, "LSTM: allocation failed");
  max_batch_ = max_batch;
  reset();
  return Error::none();
}

Error LSTM::set_initial_state(const float* h0, const float* c0) noexcept {
  if (g_ <= 0) return make_error(ErrorCode::kInvalidArgument, "LSTM: set_weights before set_initial_state");
  const std::size_t g = static_cast<std::size_t>(g_);
  h0_.allocate(0);
  c0_.allocate(0);
  if ((h0 && !h0_.allocate(g)) || (c0 && !c0_.allocate(g)))
    return make_error(ErrorCode::kTooLarge, "LSTM: allocation failed");
  for (std::size_t k = 0; h0 && k < g; ++k)
    h0_[k] = (h0[k] == h0[k]) ? std::fmin(std::fmax(h0[k], -1.f), 1.f) : 0.f;
  for (std::size_t k = 0; c0 && k < g; ++k)
    c0_[k] = (c0[k] == c0[k]) ? std::fmin(std::fmax(c0[k], -kCellBound), kCellBound) : 0.f;
  reset();
  return Error::none();
}

void LSTM::reset() noexcept {
  h_.zero();
  c_.zero();
  const std::size_t g = static_cast<std::size_t>(g_);
  for (int b = 0; b < max_batch_; ++b) {
    if (!h0_.empty()) std::memcpy(h_.data() + b * g, h0_.data(), sizeof(float) * g);
    if (!c0_.empty()) std::memcpy(c_.data() + b * g, c0_.data(), sizeof(float) * g);
  }
}

void LSTM::step(const float* x, float* out, int batch) noexcept {
  if (batch <= 0) return;
  if (batch > max_batch_) batch = max_batch_;
  const int g = g_, g4 = 4 * g_;
  float* h = h_.data();
  float* c = c_.data();
  float* gi = gi_.data();
  float* gh = gh_.data();
  kernels::gemm(wih_, x, wih_.in(), gi, g4, batch);  // W_i· x + b_i·  (i, f, g, o)
  kernels::gemm(whh_, h, g, gh, g4, batch);          // W_h· h + b_h·
  for (int b = 0; b < batch; ++b) {
    float* z = gi + static_cast<std::size_t>(b) * g4;
    const float* zh = gh + static_cast<std::size_t>(b) * g4;
    for (int k = 0; k < g4; ++k) z[k] += zh[k];
    kernels::sigmoid_inplace(z, 2 * g);          // i | f
    kernels::tanh_inplace(z + 2 * g, g);         // g
    kernels::sigmoid_inplace(z + 3 * g, g);      // o
    float* cb = c + static_cast<std::size_t>(b) * g;
    float* hb = h + static_cast<std::size_t>(b) * g;
    for (int k = 0; k < g; ++k) {
      float cn = z[g + k] * cb[k] + z[k] * z[2 * g + k];
      if (!(cn == cn)) cn = 0.f;  // NaN never enters the state
      cb[k] = std::fmin(std::fmax(cn, -kCellBound), kCellBound);
      hb[k] = cb[k];
    }
    kernels::tanh_inplace(hb, g);
    for (int k = 0; k < g; ++k) {
      const float hn = z[3 * g + k] * hb[k];
      hb[k] = (hn == hn) ? std::fmin(std::fmax(hn, -1.f), 1.f) : 0.f;
    }
    if (out) std::memcpy(out + static_cast<std::size_t>(b) * g, hb, sizeof(float) * g);
  }
}

}  // namespace rt_synth
