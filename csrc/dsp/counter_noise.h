// Counter-based white noise (docs/ddsp-maths.md §4): splitmix64 of (seed, absolute sample
// index). Being a pure function of the index, Python and C++ produce the identical sequence,
// and a frame's noise can be drawn at the frame boundary without buffering.
#pragma once
#include <cstdint>

namespace rt_synth::dsp {

// One value of the sequence: u(n) in [-1, 1) from 24 random bits.
inline float counterNoiseValue(uint64_t seed, uint64_t n) {
  uint64_t z = seed + (n + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  return static_cast<float>(z >> 40) * (1.0f / 8388608.0f) - 1.0f;  // exact in float32
}

class CounterNoise {
 public:
  void reset(uint64_t seed) { seed_ = seed; counter_ = 0; }
  // Writes the next n samples and advances the counter. Real-time safe.
  void generate(float* out, int n);
  uint64_t counter() const { return counter_; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_ = 0;
  uint64_t counter_ = 0;  // absolute sample index since reset
};

}  // namespace rt_synth::dsp
