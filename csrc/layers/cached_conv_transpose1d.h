#pragma once
// CachedConvTranspose1d: a streaming transposed 1-D convolution (PyTorch
// nn.ConvTranspose1d weights, padding 0, dilation 1, groups 1), computed per phase.
//
// Offline reference: y = conv_transpose1d(x, W, b, stride=s)[..., :T·s] (the first T·s
// frames of the full (T−1)·s + k output; the k − s tail frames belong to later input).
//   y[t·s + p] = b + Σ_c Σ_q W[c][o][p + q·s] · x[c][t − q],  p in 0..s−1, p + q·s < k
// Each input frame t yields its s output frames at once, from input frames t−Q+1..t
// (Q = ceil(k/s)): no zero stuffing, no look-ahead, latency() == 0. The overlap state is the
// last Q−1 input frames per channel (equivalent to carrying the overlapping output tail, and
// smaller whenever C_in ≤ C_out·s). Any k works, multiple of s or not.
//
// Layout: channel-major; in[c·n + t] (C_in × n), out[o·(n·s) + i] (C_out × n·s).
#include "layers/kernels.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class CachedConvTranspose1d {
 public:
  // weight [C_in][C_out][k] (PyTorch ConvTranspose1d layout), bias [C_out] or nullptr.
  Error set_weights(const float* weight, const float* bias, int in_channels, int out_channels, int kernel_size,
                    int stride) noexcept;
  Error prepare(int max_block) noexcept;  // max_block input frames per call
  void reset() noexcept;

  // n input frames (0..max_block) → n·stride output frames. Real-time safe.
  int process(const float* in, float* out, int n) noexcept;
  int output_frames(int n) const noexcept { return n * s_; }

  int latency() const noexcept { return 0; }
  int in_channels() const noexcept { return cin_; }
  int out_channels() const noexcept { return cout_; }
  int kernel_size() const noexcept { return k_; }
  int stride() const noexcept { return s_; }
  int max_block() const noexcept { return max_block_; }

 private:
  static constexpr int kChunk = 32;
  int cin_ = 0, cout_ = 0, k_ = 0, s_ = 1, q_ = 1;
  int max_block_ = 0, row_ = 0;
  PackedMatrix w_;             // [s·C_out] × [C_in·Q]: row p·C_out + o, column c·Q + q
  AlignedBuffer<float> hist_;  // [C_in][Q−1 + max_block]
  AlignedBuffer<float> col_;   // [kChunk][C_in·Q]
  AlignedBuffer<float> y_;     // [kChunk][s·C_out]
};

}  // namespace rt_synth
