#include "dsp/counter_noise.h"

namespace rt_synth::dsp {

void CounterNoise::generate(float* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = counterNoiseValue(seed_, counter_ + static_cast<uint64_t>(i));
  counter_ += static_cast<uint64_t>(n > 0 ? n : 0);
}

}  // namespace rt_synth::dsp
