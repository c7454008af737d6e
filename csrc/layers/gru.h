#pragma once
// GRU cell, PyTorch nn.GRU (one layer, batch_first irrelevant) semantics, gate order r, z, n:
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)
//   z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   h' = (1 − z) ⊙ n + z ⊙ h
// The object owns max_batch independent hidden states (voices). One step() runs one frame
// for `batch` voices as two matrix-matrix products (input and recurrent), so stacked voices
// share each pass over the weights.
#include "layers/kernels.h"
#include "util/error.h"

namespace rt_synth {

class GRU {
 public:
  // weight_ih [3G][in], weight_hh [3G][G], bias_ih/bias_hh [3G] or nullptr. Allocates.
  Error set_weights(const float* weight_ih, const float* weight_hh, const float* bias_ih,
                    const float* bias_hh, int input_size, int hidden_size) noexcept;
  // Allocates state and scratch for up to max_batch voices and zeroes the state.
  Error prepare(int max_batch) noexcept;
  void reset() noexcept;            // all voices to h = 0
  void reset_voice(int b) noexcept; // one voice to h = 0

  // x [batch][input_size] → updates voices 0..batch−1; writes h' to out [batch][G] if out
  // is not null. batch ≤ max_batch. Real-time safe. The state is kept finite and in
  // [−1, 1] (its mathematical range) even if x holds NaN/Inf.
  void step(const float* x, float* out, int batch) noexcept;

  const float* hidden() const noexcept { return h_.data(); }  // [max_batch][G]
  float* hidden() noexcept { return h_.data(); }
  int input_size() const noexcept { return wih_.in(); }
  int hidden_size() const noexcept { return g_; }
  int max_batch() const noexcept { return max_batch_; }

 private:
  int g_ = 0, max_batch_ = 0;
  PackedMatrix wih_, whh_;            // [3G × in], [3G × G], biases folded in
  AlignedBuffer<float> h_, gi_, gh_;  // [max_batch][G], [max_batch][3G] ×2
};

}  // namespace rt_synth
