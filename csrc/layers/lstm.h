#pragma once
// LSTM cell, PyTorch nn.LSTM (one layer) semantics, gate order i, f, g, o:
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
// Like GRU: max_batch independent states, one step() = two matrix products for the batch.
#include "layers/kernels.h"
#include "util/error.h"

namespace rt_synth {

class LSTM {
 public:
  // Largest |c| kept: the cell can only grow by 1 per step, so a real model never reaches
  // it; hostile input cannot push the state to Inf (tanh(c) saturates long before).
  static constexpr float kCellBound = 1.0e3f;

  // weight_ih [4G][in], weight_hh [4G][G], bias_ih/bias_hh [4G] or nullptr. Allocates.
  Error set_weights(const float* weight_ih, const float* weight_hh, const float* bias_ih,
                    const float* bias_hh, int input_size, int hidden_size) noexcept;
  // Allocates state and scratch for up to max_batch voices and zeroes the state.
  Error prepare(int max_batch) noexcept;
  // The state reset() returns every voice to: h0/c0 [G] each, nullptr = zeros (the default;
  // Neural Amp Modeler's LSTM stores a learned one). Call after set_weights (which drops it).
  // Sanitised: NaN → 0, h within ±1, c within ±kCellBound. Allocates.
  Error set_initial_state(const float* h0, const float* c0) noexcept;
  void reset() noexcept;  // h = h0, c = c0 (zeros unless set) for every voice

  // x [batch][input_size] → updates voices 0..batch−1; writes h' to out [batch][G] if out
  // is not null. Real-time safe. h stays in [−1, 1] and c in ±kCellBound, NaN → 0.
  void step(const float* x, float* out, int batch) noexcept;

  const float* hidden() const noexcept { return h_.data(); }  // [max_batch][G]
  const float* cell() const noexcept { return c_.data(); }    // [max_batch][G]
  int input_size() const noexcept { return wih_.in(); }
  int hidden_size() const noexcept { return g_; }

 private:
  int g_ = 0, max_batch_ = 0;
  PackedMatrix wih_, whh_;                // [4G × in], [4G × G], biases folded in
  AlignedBuffer<float> h_, c_, gi_, gh_;  // [max_batch][G] ×2, [max_batch][4G] ×2
  AlignedBuffer<float> h0_, c0_;          // [G] each, or empty: zeros
};

}  // namespace rt_synth
