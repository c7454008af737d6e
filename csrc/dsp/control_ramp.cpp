#include "dsp/control_ramp.h"

namespace rt_synth::dsp {

void causalFrameUpsample(const float* frames, int n_frames, int channels, int hop,
                         const float* first, double* out) {
  for (int i = 0; i < n_frames; ++i) {
    const float* cur = frames + static_cast<long>(i) * channels;
    const float* prev = i == 0 ? first : cur - channels;
    for (int j = 0; j < hop; ++j) {
      const double r = rampPosition(j, hop);
      double* o = out + (static_cast<long>(i) * hop + j) * channels;
      for (int c = 0; c < channels; ++c) {
        const double p = prev[c];
        o[c] = p + (static_cast<double>(cur[c]) - p) * r;
      }
    }
  }
}

}  // namespace rt_synth::dsp
