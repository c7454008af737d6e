#pragma once
// CachedConv1d: a causal, streaming 1-D convolution (PyTorch nn.Conv1d weights, groups 1).
//
// Offline reference: y = conv1d(pad_left(x, (k−1)·d), W, b, stride=s, dilation=d), i.e.
//   y[t] = b + Σ_c Σ_i W[o][c][i] · x[c][t·s − (k−1)·d + i·d]   (x < 0 reads as 0)
// Output t depends on input frames ≤ t·s only, so the streaming layer emits y[t] in the
// block that contains input frame t·s: zero delay (latency() == 0), and the output frame
// count of a block is the number of multiples of s it contains (output_frames(n)).
//
// State: the last (k−1)·d input frames of every channel, kept in a history buffer that is
// moved once per block (not per sample), plus the stride phase, so the output does not
// depend on how the input is cut into blocks.
//
// Layout: channel-major. process() reads in[c·n + i] (C_in rows of n frames) and writes
// out[o·m + t] (C_out rows of m = output_frames(n) frames), both contiguous.
#include "layers/kernels.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class CachedConv1d {
 public:
  // weight [C_out][C_in][k] (PyTorch layout), bias [C_out] or nullptr. Allocates.
  Error set_weights(const float* weight, const float* bias, int out_channels, int in_channels, int kernel_size,
                    int stride = 1, int dilation = 1) noexcept;
  // Sizes history and scratch for blocks of up to max_block input frames; zeroes the state.
  Error prepare(int max_block) noexcept;
  void reset() noexcept;  // silence history, phase 0
  // The streaming state as plain floats (history of every channel and the stride phase), to
  // snapshot a state once and restore it in a memcpy (real-time safe). Valid after prepare().
  std::size_t state_size() const noexcept { return hist_.size() + 1; }
  void save_state(float* dst) const noexcept;
  void load_state(const float* src) noexcept;

  // Output frames the next process() call with n input frames will produce. 0..ceil(n/s).
  int output_frames(int n) const noexcept;
  // n in 0..max_block. Returns the number of output frames written (== output_frames(n)).
  // Real-time safe: no allocation, lock or exception.
  int process(const float* in, float* out, int n) noexcept;

  int latency() const noexcept { return 0; }
  int in_channels() const noexcept { return cin_; }
  int out_channels() const noexcept { return cout_; }
  int kernel_size() const noexcept { return k_; }
  int stride() const noexcept { return s_; }
  int dilation() const noexcept { return d_; }
  int max_block() const noexcept { return max_block_; }
  int receptive_history() const noexcept { return (k_ - 1) * d_; }

 private:
  static constexpr int kChunk = 32;  // output frames per GEMM call (bounds the im2col scratch)
  int cout_ = 0, cin_ = 0, k_ = 0, s_ = 1, d_ = 1;
  int max_block_ = 0, hist_len_ = 0, row_ = 0;  // row_ = history + max_block frames per channel
  int skip_ = 0;                                 // block index of the first output (stride phase)
  PackedMatrix w_;                               // [C_out] × [C_in·k]
  AlignedBuffer<float> hist_;                    // [C_in][row_]
  AlignedBuffer<float> col_;                     // [kChunk][C_in·k]
  AlignedBuffer<float> y_;                       // [kChunk][C_out]
};

}  // namespace rt_synth
