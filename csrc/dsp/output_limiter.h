// OutputLimiter: the final safety stage of every output path (docs/safety.md), lookahead-free
// (adds no latency), finite and bounded always. One class, used by the synth (its musical
// limiter, ceiling parameter limiter_ceiling_db), at the end of TimbreTransfer, of RaveEngine's
// model stream, of the C ABI's controls and RAVE decode methods, and at the end of
// HostAdapter after the engine→host resampler (which can overshoot the engine's ceiling).
//
//   1. sanitise: NaN/±Inf → 0 (and the detector is reset), so nothing non-finite leaves
//   2. peak detector with instant attack and a one-pole release (80 ms)
//   3. gain g = min(1, threshold / peak), threshold = ceiling − 1 dB: it drops instantly on a
//      peak and recovers smoothly
//   4. a soft clipper above knee·ceiling (knee 0.9): u = x·g / ceiling,
//      y = ceiling · sign(u)·(k + (1−k)·tanh((|u|−k)/(1−k))), so |y| < ceiling for every
//      finite input, continuous in value and slope at the knee (a net under step 3: with an
//      instant attack |x·g| ≤ threshold < knee·ceiling already).
// While the peak detector stays at or below the threshold the sample is passed through
// unchanged, bit for bit: normal playing levels (below ceiling − 1 dB, i.e. 0.891 at the
// default ceiling) are never touched, so parity tests hold through the stage.
//
// Ceiling: kMinCeilingDb..kMaxCeilingDb = −24..+12 dBFS (linear 0.063..3.98), default 0 dBFS
// (|y| ≤ 1). −24 dB is the synth's own lowest setting (below that a ceiling is a volume knob,
// not a safety stage); +12 dB lets a float host with headroom keep the peaks it will bring
// down itself, while even a runaway model stays 12 dB below the +27..+51 dBFS the fuzzing
// found. Values outside are clamped, NaN keeps the current ceiling. setCeilingDb() may be
// called from any thread (an atomic, read once per process() call).
// Real time: no allocation, no lock; state is two floats.
#pragma once
#include <atomic>

namespace rt_synth {

class OutputLimiter {
 public:
  static constexpr float kMinCeilingDb = -24.f;
  static constexpr float kMaxCeilingDb = 12.f;
  static constexpr float kDefaultCeilingDb = 0.f;

  OutputLimiter() noexcept { setCeilingDb(kDefaultCeilingDb); }
  void prepare(double sample_rate) noexcept;  // release time constant; keeps the ceiling
  // Any thread. Clamped to [kMinCeilingDb, kMaxCeilingDb]; NaN ignored.
  void setCeilingDb(float db) noexcept;
  float ceilingDb() const noexcept { return ceiling_db_.load(std::memory_order_relaxed); }
  float ceiling() const noexcept;  // linear
  void reset() noexcept { peak_ = 0.f; }
  // In place, n samples. Real-time safe.
  void process(float* x, int n) noexcept;
  float gain() const noexcept;  // current gain (≤ 1)

 private:
  std::atomic<float> ceiling_db_{kDefaultCeilingDb};
  float release_coef_ = 0.99974f;  // 80 ms at 48 kHz until prepare()
  float peak_ = 0.f;
};

}  // namespace rt_synth
