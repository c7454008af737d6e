// Limiter: the last stage of the engine, lookahead-free (adds no latency), finite always.
//
//   1. sanitise: NaN/±Inf → 0 (and the detector is reset), so nothing non-finite leaves
//   2. peak detector with instant attack and a one-pole release (release_s)
//   3. gain g = min(1, threshold / peak): it drops instantly, recovers smoothly
//   4. a soft clipper above knee·ceiling: y = ceiling · sign(u)·(k + (1−k)·tanh((|u|−k)/(1−k)))
//      with u = x·g / ceiling, so |y| < ceiling for every finite input, continuous in value
//      and slope at the knee.
// Since the gain falls at once when a peak arrives, step 4 only ever shapes the residue of
// a peak's first sample; normal playing stays below the threshold and passes untouched.
#pragma once

namespace rt_synth::synth {

class Limiter {
 public:
  void prepare(double sample_rate) noexcept;
  void setCeilingDb(float db) noexcept;  // −24..0 dBFS; threshold sits 1 dB below
  void reset() noexcept { peak_ = 0.f; }
  // In place, n samples.
  void process(float* x, int n) noexcept;
  float gain() const noexcept;  // current gain (≤ 1)

 private:
  double sr_ = 48000.0;
  float ceiling_ = 0.891f, threshold_ = 0.794f;
  float release_coef_ = 0.f;
  float peak_ = 0.f;
};

}  // namespace rt_synth::synth
