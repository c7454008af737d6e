// Streaming rational resampler: polyphase Kaiser-windowed sinc (docs/timbre-transfer.md).
//
// rate_out/rate_in = L/M (reduced). Prototype h (N = L*T taps at the rate L*rate_in), linear
// phase, cut-off between the pass edge (20 kHz, or 0.45*min(rate) if lower) and the stop edge
// min(rate_in, rate_out)/2, Kaiser beta for 90 dB (>= 80 dB measured, tests). Output m is
//     y[m] = sum_{t<T} h[p + t*L] * x[k - t],   k = floor(m*M/L), p = m*M mod L
// so it is causal (it needs inputs up to k only) and is emitted as soon as input k arrives:
// any block size gives the same output stream. Delay: (N-1)/2 samples at L*rate_in, i.e.
// delaySeconds() = (L*T - 1) / (2*L*rate_in), constant for every frequency (linear phase).
// Real time: taps and history allocated in prepare(); process() does not allocate.
#pragma once
#include <cstdint>

#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class Resampler {
 public:
  // Integer rates (Hz); reduced ratio L, M <= 4096. Allocates.
  Error prepare(int rate_in, int rate_out, double stopband_db = 90.0) noexcept;
  void reset() noexcept;
  // Consumes all n inputs; writes the outputs they complete (at most maxOutput(n)) to out and
  // returns how many. Real-time safe. NaN/Inf inputs are treated as 0, others clipped to +-1e4.
  int process(const float* in, int n, float* out) noexcept;
  // Upper bound of the outputs n inputs can complete.
  int maxOutput(int n) const noexcept {
    return static_cast<int>((static_cast<int64_t>(n) * L_ + M_ - 1) / M_) + 1;
  }
  double delaySeconds() const noexcept { return (static_cast<double>(L_) * T_ - 1.0) / (2.0 * L_ * rate_in_); }
  double delayOutputSamples() const noexcept { return delaySeconds() * rate_out_; }
  int tapsPerPhase() const noexcept { return T_; }
  int up() const noexcept { return L_; }
  int down() const noexcept { return M_; }
  int rateIn() const noexcept { return rate_in_; }
  int rateOut() const noexcept { return rate_out_; }

 private:
  int rate_in_ = 0, rate_out_ = 0, L_ = 1, M_ = 1, T_ = 0, pos_ = 0, phase_ = 0;
  int64_t pending_ = 0;  // inputs still to arrive before the next output's base sample
  AlignedBuffer<float> coef_;  // [L][T], reversed per phase (dot product with oldest-first history)
  AlignedBuffer<float> hist_;  // doubled ring of T samples
};

}  // namespace rt_synth
