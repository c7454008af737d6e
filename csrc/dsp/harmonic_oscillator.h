// Harmonic oscillator bank (docs/ddsp-maths.md §2–3):
//     p(n)   = frac(p(n-1) + f0(n)/SR)                      phase in cycles, double
//     y_h(n) = Σ_{k=1..K} A_k(n) · sin(2π·k·p(n))
// f0 and every A_k are ramped causally from the previous frame's value (§2).
//
// sin(2πkp) comes from the Chebyshev recurrence s_k = 2·cos(2πp)·s_{k-1} − s_{k-2} in double
// (one sin and one cos per sample, one multiply-add per partial per sample). Rounding errors
// of the recurrence grow at most ~k²·ε/2, i.e. < 1e-12 for K = 64; the test bounds it.
// The inner loop runs over the samples of a chunk (not over partials), so it vectorises (AVX2+FMA
// where the CPU has it, chosen at prepare). Partials silent at both ends of a frame's ramp
// (those above Nyquist) are skipped from the top: a high note costs less than a low one.
#pragma once
#include <vector>

#include "dsp/control_ramp.h"

namespace rt_synth::dsp {

class HarmonicOscillator {
 public:
  // Allocates every buffer; nothing allocates afterwards.
  void prepare(double sample_rate, int hop, int n_harmonics);
  // Phase 0, amplitudes 0; the next frame's f0 ramp starts flat (c[-1] = f0[0]).
  void reset();
  // Starts frame i: its f0 (Hz, finite, ≥ 0) and its K harmonic amplitudes A_k[i].
  void beginFrame(double f0_hz, const float* amplitudes);
  // Writes the next n samples of the current frame to out (n ≤ remainingInFrame()).
  // Samples past the end of the frame (or before the first frame) are written as 0.
  void render(float* out, int n);
  int remainingInFrame() const { return hop_ - pos_; }

  double phase() const { return phase_; }
  int hop() const { return hop_; }
  int numHarmonics() const { return k_; }

 private:
  double sr_ = 48000.0;
  int hop_ = 0;
  int k_ = 0;
  int k_active_ = 0;  // partials 1..k_active_ sound in the current frame
  bool avx2_ = false;
  int pos_ = 0;  // samples of the current frame already rendered
  bool started_ = false;
  double phase_ = 0.0;
  ControlRamp f0_;
  std::vector<double> amp_prev_, amp_delta_;  // [K]: ramp start and (target − start)
  std::vector<double> ramp_;                  // [hop]: (j+1)/hop
  std::vector<double> s_prev_, s_cur_, c2_, acc_;  // [hop] scratch
};

}  // namespace rt_synth::dsp
