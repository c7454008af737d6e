// Causal RAVE encoder, streaming (docs/rave.md §3): PQMF bands [M][n] → posterior mean [D][m].
//
//   conv_in (k = 2·kernel+1) → per stage [ResidualUnit(d = 1), lrelu, conv (k = 2s, stride s)]
//   → lrelu → conv_out (kernel) to 2D channels; the mean is the first D (the scale rows are
//   computed with the rest of the layer and ignored: inference uses the mean).
// Latent frame t is emitted in the call that contains band frame t·R_e (every layer is
// causal with zero delay and keeps its stride phase), so any split of the band stream gives
// the same latent frames.
#pragma once
#include <vector>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "kinds/rave/rave_config.h"
#include "kinds/rave/rave_residual.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveEncoder {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;  // allocates
  Error prepare(int max_band_frames) noexcept;                   // allocates
  void reset() noexcept;
  int outputFrames(int n) const noexcept;  // latent frames the next process(n) emits
  // bands [M][n] → mean [D][m]; returns m. n ≤ max_band_frames. Real-time safe.
  int process(const float* bands, float* mean, int n) noexcept;

 private:
  struct Stage {
    RaveResidualUnit residual;
    CachedConv1d down;
  };
  CachedConv1d conv_in_, conv_out_;
  std::vector<Stage> stages_;
  AlignedBuffer<float> a_, b_;
  int latent_ = 0, max_frames_ = 0;
  float slope_ = 0.2f;
  std::vector<int> channels_;
};

}  // namespace rt_synth
