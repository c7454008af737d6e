// Streaming resampler for any pair of whole rates: polyphase Kaiser-windowed sinc
// (docs/timbre-transfer.md, docs/safety.md "rate contract").
//
// rate_out/rate_in = L/M (reduced). Output m sits at input position m*M/L = k + p/L,
// k = floor(m*M/L), p = m*M mod L, tracked exactly in integers (no drift, any ratio). The
// prototype h is a linear-phase low-pass at the rate P*rate_in (N = P*T taps, T per phase),
// cut-off between the pass edge (20 kHz, or 0.9*Nyquist if lower) and the stop edge
// min(rate_in, rate_out)/2, Kaiser beta for 90 dB (>= 80 dB measured, tests). Then
//   - exact mode (L, M <= 4096: 44.1/48/88.2/96/192 kHz and the like): P = L phases and
//       y[m] = sum_{t<T} h[p + t*L] * x[k - t]
//   - interpolated mode (a ratio with larger terms, e.g. 47 999/48 000): a table of P = 512
//     phases (+1), and y[m] = (1-a)*y_q + a*y_{q+1} with q = floor(p*P/L), a = frac(p*P/L):
//     the fractional position linearly interpolated between the two nearest phases (error of
//     order (pi*f/(P*fs))^2, below the 90 dB design; twice the multiply-adds per output).
// Causal: output m is emitted as soon as input k arrives, so any block size gives the same
// output stream. Delay (N-1)/2 prototype samples: delaySeconds() = (P*T - 1) / (2*P*rate_in),
// the same for every frequency (linear phase).
// Real time: taps and history allocated in prepare(); process() does not allocate.
#pragma once
#include <cstdint>

#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class Resampler {
 public:
  static constexpr int kMaxExactTerm = 4096;     // larger reduced terms use the interpolated table
  static constexpr int kInterpolatedPhases = 512;
  static constexpr int kMaxRate = 1 << 24;       // any whole rate 1..16.7 MHz
  // Whole rates in 1..kMaxRate, any ratio. Allocates.
  Error prepare(int rate_in, int rate_out, double stopband_db = 90.0) noexcept;
  void reset() noexcept;
  // Consumes all n inputs; writes the outputs they complete (at most maxOutput(n)) to out and
  // returns how many. Real-time safe. NaN/Inf inputs are treated as 0, others clipped to +-1e4.
  int process(const float* in, int n, float* out) noexcept;
  // Upper bound of the outputs n inputs can complete.
  int maxOutput(int n) const noexcept {
    return static_cast<int>((static_cast<int64_t>(n) * L_ + M_ - 1) / M_) + 1;
  }
  double delaySeconds() const noexcept { return (static_cast<double>(P_) * T_ - 1.0) / (2.0 * P_ * rate_in_); }
  double delayOutputSamples() const noexcept { return delaySeconds() * rate_out_; }
  int tapsPerPhase() const noexcept { return T_; }
  int up() const noexcept { return L_; }
  int down() const noexcept { return M_; }
  bool interpolated() const noexcept { return interpolated_; }
  int tablePhases() const noexcept { return P_; }
  int rateIn() const noexcept { return rate_in_; }
  int rateOut() const noexcept { return rate_out_; }

 private:
  template <bool kInterpolated>
  int run(const float* in, int n, float* out) noexcept;
  int rate_in_ = 0, rate_out_ = 0, L_ = 1, M_ = 1, T_ = 0, P_ = 1, pos_ = 0, phase_ = 0;
  bool interpolated_ = false;
  int64_t pending_ = 0;  // inputs still to arrive before the next output's base sample
  AlignedBuffer<float> coef_;  // [P (+1 interpolated)][T], reversed per phase (dot with oldest-first history)
  AlignedBuffer<float> hist_;  // doubled ring of T samples
};

}  // namespace rt_synth
