#include "layers/cached_conv1d.h"

#include <cstddef>
#include <cstring>
#include <string>

namespace rt_synth {

Error CachedConv1d::set_weights(const float* weight, const float* bias, int out_channels, int in_channels,
                                int kernel_size, int stride, int dilation) noexcept {
  if (!weight || out_channels <= 0 || in_channels <= 0 || kernel_size <= 0 || stride <= 0 || dilation <= 0 ||
      kernel_size > 4096 || dilation > 65536 || stride > 65536)
    return make_error(ErrorCode::kInvalidArgument, "CachedConv1d: need weights and positive, sane sizes");
  // PyTorch's [C_out][C_in][k] is already the row-major [C_out][C_in·k] matrix of im2col.
  if (!w_.pack(weight, bias, out_channels, in_channels * kernel_size))
    return make_error(ErrorCode::kTooLarge, "CachedConv1d: allocation failed");
  cout_ = out_channels;
  cin_ = in_channels;
  k_ = kernel_size;
  s_ = stride;
  d_ = dilation;
  if (max_block_ > 0) return prepare(max_block_);
  return Error::none();
}

Error CachedConv1d::prepare(int max_block) noexcept {
  if (cin_ <= 0) return make_error(ErrorCode::kInvalidArgument, "CachedConv1d: set_weights before prepare");
  if (max_block <= 0 || max_block > (1 << 20))
    return make_error(ErrorCode::kInvalidArgument, "CachedConv1d: max_block must be 1..2^20, got " + std::to_string(max_block));
  hist_len_ = (k_ - 1) * d_;
  row_ = hist_len_ + max_block;
  const std::size_t kin = static_cast<std::size_t>(cin_) * k_;
  if (!hist_.allocate(static_cast<std::size_t>(cin_) * row_) || !col_.allocate(kChunk * kin) ||
      !y_.allocate(static_cast<std::size_t>(kChunk) * cout_))
    return make_error(ErrorCode::kTooLarge, "CachedConv1d: allocation failed");
  max_block_ = max_block;
  skip_ = 0;
  return Error::none();
}

void CachedConv1d::reset() noexcept {
  hist_.zero();
  skip_ = 0;
}

void CachedConv1d::save_state(float* dst) const noexcept {
  std::memcpy(dst, hist_.data(), sizeof(float) * hist_.size());
  dst[hist_.size()] = static_cast<float>(skip_);
}

void CachedConv1d::load_state(const float* src) noexcept {
  std::memcpy(hist_.data(), src, sizeof(float) * hist_.size());
  skip_ = static_cast<int>(src[hist_.size()]);
}

int CachedConv1d::output_frames(int n) const noexcept {
  if (n <= skip_) return 0;
  return (n - 1 - skip_) / s_ + 1;
}

int CachedConv1d::process(const float* in, float* out, int n) noexcept {
  if (n <= 0) return 0;
  if (n > max_block_) n = max_block_;
  const int H = hist_len_, R = row_, cin = cin_, k = k_, d = d_, s = s_, cout = cout_;
  const int kin = cin * k;
  float* hist = hist_.data();
  // 1. Append the block after the history: channel c's frame i sits at hist[c·R + H + i].
  for (int c = 0; c < cin; ++c) std::memcpy(hist + static_cast<std::size_t>(c) * R + H, in + static_cast<std::size_t>(c) * n, sizeof(float) * n);
  // 2. Outputs at block frames i = skip_, skip_+s, ...; output at i reads hist[c·R + i + j·d].
  const int m = output_frames(n);
  float* col = col_.data();
  float* y = y_.data();
  for (int t0 = 0; t0 < m; t0 += kChunk) {
    const int cnt = m - t0 < kChunk ? m - t0 : kChunk;
    for (int t = 0; t < cnt; ++t) {
      const int i = skip_ + (t0 + t) * s;
      float* row = col + static_cast<std::size_t>(t) * kin;
      for (int c = 0; c < cin; ++c) {
        const float* src = hist + static_cast<std::size_t>(c) * R + i;
        for (int j = 0; j < k; ++j) row[c * k + j] = src[j * d];
      }
    }
    kernels::gemm(w_, col, kin, y, cout, cnt);
    for (int o = 0; o < cout; ++o) {
      float* dst = out + static_cast<std::size_t>(o) * m + t0;
      for (int t = 0; t < cnt; ++t) dst[t] = y[static_cast<std::size_t>(t) * cout + o];
    }
  }
  // 3. Keep the last H frames (one move per channel per block) and the stride phase.
  if (H > 0)
    for (int c = 0; c < cin; ++c) {
      float* r = hist + static_cast<std::size_t>(c) * R;
      std::memmove(r, r + n, sizeof(float) * H);
    }
  skip_ = ((skip_ - n) % s + s) % s;
  return m;
}

}  // namespace rt_synth
