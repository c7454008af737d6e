#include "layers/cached_conv_transpose1d.h"

#include <cstddef>
#include <cstring>
#include <string>

namespace rt_synth {

Error CachedConvTranspose1d::set_weights(const float* weight, const float* bias, int in_channels, int out_channels,
                                         int kernel_size, int stride) noexcept {
  if (!weight || in_channels <= 0 || out_channels <= 0 || kernel_size <= 0 || stride <= 0 || kernel_size > 4096 ||
      stride > 4096)
    return make_error(ErrorCode::kInvalidArgument, "CachedConvTranspose1d: need weights and positive, sane sizes");
  const int q = (kernel_size + stride - 1) / stride;
  if (!w_.resize(stride * out_channels, in_channels * q))
    return make_error(ErrorCode::kTooLarge, "CachedConvTranspose1d: allocation failed");
  // Polyphase split: phase p of the output uses taps p, p+s, p+2s, ... of the kernel.
  for (int p = 0; p < stride; ++p)
    for (int o = 0; o < out_channels; ++o) {
      const int row = p * out_channels + o;
      if (bias) w_.set_bias(row, bias[o]);
      for (int c = 0; c < in_channels; ++c)
        for (int j = 0; j < q; ++j) {
          const int tap = p + j * stride;
          if (tap < kernel_size)
            w_.set(row, c * q + j, weight[(static_cast<std::size_t>(c) * out_channels + o) * kernel_size + tap]);
        }
    }
  cin_ = in_channels;
  cout_ = out_channels;
  k_ = kernel_size;
  s_ = stride;
  q_ = q;
  if (max_block_ > 0) return prepare(max_block_);
  return Error::none();
}

Error CachedConvTranspose1d::prepare(int max_block) noexcept {
  if (cin_ <= 0) return make_error(ErrorCode::kInvalidArgument, "CachedConvTranspose1d: set_weights before prepare");
  if (max_block <= 0 || max_block > (1 << 20))
    return make_error(ErrorCode::kInvalidArgument,
                      "CachedConvTranspose1d: max_block must be 1..2^20, got " + std::to_string(max_block));
  row_ = q_ - 1 + max_block;
  if (!hist_.allocate(static_cast<std::size_t>(cin_) * row_) ||
      !col_.allocate(static_cast<std::size_t>(kChunk) * cin_ * q_) ||
      !y_.allocate(static_cast<std::size_t>(kChunk) * s_ * cout_))
    return make_error(ErrorCode::kTooLarge, "CachedConvTranspose1d: allocation failed");
  max_block_ = max_block;
  return Error::none();
}

void CachedConvTranspose1d::reset() noexcept { hist_.zero(); }

int CachedConvTranspose1d::process(const float* in, float* out, int n) noexcept {
  if (n <= 0) return 0;
  if (n > max_block_) n = max_block_;
  const int H = q_ - 1, R = row_, cin = cin_, q = q_, s = s_, cout = cout_;
  const int kin = cin * q, ny = s * cout, m = n * s;
  float* hist = hist_.data();
  for (int c = 0; c < cin; ++c) std::memcpy(hist + static_cast<std::size_t>(c) * R + H, in + static_cast<std::size_t>(c) * n, sizeof(float) * n);
  float* col = col_.data();
  float* y = y_.data();
  for (int t0 = 0; t0 < n; t0 += kChunk) {
    const int cnt = n - t0 < kChunk ? n - t0 : kChunk;
    for (int t = 0; t < cnt; ++t) {
      float* row = col + static_cast<std::size_t>(t) * kin;
      const int i = H + t0 + t;  // this input frame's position in the history row
      for (int c = 0; c < cin; ++c) {
        const float* src = hist + static_cast<std::size_t>(c) * R + i;
        for (int j = 0; j < q; ++j) row[c * q + j] = src[-j];  // x[t − j]
      }
    }
    kernels::gemm(w_, col, kin, y, ny, cnt);
    for (int o = 0; o < cout; ++o) {
      float* dst = out + static_cast<std::size_t>(o) * m + static_cast<std::size_t>(t0) * s;
      for (int t = 0; t < cnt; ++t)
        for (int p = 0; p < s; ++p) dst[t * s + p] = y[static_cast<std::size_t>(t) * ny + p * cout + o];
    }
  }
  if (H > 0)
    for (int c = 0; c < cin; ++c) {
      float* r = hist + static_cast<std::size_t>(c) * R;
      std::memmove(r, r + n, sizeof(float) * H);
    }
  return m;
}

}  // namespace rt_synth
