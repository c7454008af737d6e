// RavePitchSource: the harmonic excitation of a RAVE model's pitch source (docs/rave.md
// "Pitch source"; the PyTorch reference is rt_synth/kinds/rave/model/pitch_source.py, `excitation`).
//
// Per latent frame t the caller gives F[t] = (f0, periodicity): in forward the causal YIN frame
// whose window ends at sample t·R − 1, in decodeWithPitch the user's values. The R samples of
// frame t (i = 0..R−1) follow the straight line from F[t−1] to F[t], reaching F[t] on the last:
//
//   f  = F0[t−1] + (F0[t] − F0[t−1])·(i+1)/R       f0 clamped to [f0_min, f0_max]
//   p  = P[t−1]  + (P[t]  − P[t−1]) ·(i+1)/R       periodicity clamped to [0, 1]
//   φ  = (φ + f·2π/SR) mod 2π                       (φ = 0 after reset; double)
//   K  = max(1, ⌊limit·SR / f⌋)                     harmonics below limit·SR
//   h  = Σ_{k=1..K} sin kφ = sin(Kφ/2)·sin((K+1)φ/2) / sin(φ/2)   (0 where |sin(φ/2)| < 1e-9)
//   g  = clip((p − gate_low) / (gate_high − gate_low), 0, 1)
//   e  = level·√(2/K)·g·h                           (RMS = level when voiced), cast to float
//
// Everything is computed in double in the same operation order as the PyTorch code, so the
// ramp, K and the gate are bit-identical and the excitation agrees to rounding. The phase is
// wrapped every sample (PyTorch wraps a cumulative sum once per call: the same value up to
// rounding, but bounded over hours of streaming).
//
// State: the previous frame's f0 and periodicity (clamped) and the phase; reset() gives
// (f0_min, 0, 0), as the offline model assumes before frame 0. No memory at all beyond the
// object: nothing to allocate, render() is real-time safe. Unvoiced frames (g = 0 over the
// whole frame) cost no sin() call.
//
// Harmonic head (config.harmonics = H > 0): render() also gets the frame's amplitudes α [H]
// (RaveHarmonicHead) and writes the harmonic audio: with a_k on the same line from the previous
// frame's α_k (0 after reset) to this frame's,
//   y = g·Σ_{k=1..min(H, K)} a_k·sin kφ    (double; sin kφ by the Chebyshev recurrence), cast to float
// configureHarmonics() allocates the previous frame's α (load time, not real time).
#pragma once

#include <vector>

#include "kinds/rave/rave_config.h"
#include "util/error.h"

namespace rt_synth {

class RavePitchSource {
 public:
  // Takes the range, constants, sample rate and ratio R from the configuration (which has
  // range-checked them). Then reset().
  void configure(const RaveConfig& c) noexcept;
  void reset() noexcept;

  // One latent frame: out[0..R−1] ramps from the previous frame's values to (f0, periodicity).
  // Non-finite values are sanitised (NaN f0 → f0_min, NaN periodicity → 0, ±Inf clamped).
  // With the harmonic head: alpha [H] this frame's amplitudes, harm[0..R−1] the harmonic audio
  // (both nullptr without one; a null alpha with a head reads as zero amplitudes).
  void render(float f0, float periodicity, float* out, const float* alpha = nullptr,
              float* harm = nullptr) noexcept;
  // H harmonic amplitudes per frame (0: none). Allocates; then reset().
  Error configureHarmonics(int harmonics) noexcept;

  int ratio() const noexcept { return ratio_; }
  double previousF0() const noexcept { return prev_f0_; }
  double previousPeriodicity() const noexcept { return prev_per_; }
  double phase() const noexcept { return phase_; }

 private:
  double clampF0(double f) const noexcept;
  static double clampUnit(double p) noexcept;

  double sample_rate_ = 48000.0, f0_min_ = 130.0, f0_max_ = 2000.0;
  double harmonic_limit_ = 0.45, gate_low_ = 0.5, gate_high_ = 0.85, level_ = 0.1;
  int ratio_ = 1;
  double prev_f0_ = 130.0, prev_per_ = 0.0, phase_ = 0.0;
  std::vector<double> prev_alpha_;  // [H], the previous frame's harmonic amplitudes
};

}  // namespace rt_synth
