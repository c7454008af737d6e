// RaveHarmonicHead: the harmonic head of a RAVE-style decoder (docs/rave.md "Harmonic head";
// the PyTorch reference is rt_synth/models/rave/harmonic_head.py).
//
// Per latent frame z [D]:
//   r = out(lrelu(conv(z)))                 conv: causal, kernel k, D → C (state: k−1 frames)
//                                           out: 1×1, C → 1+H
//   A = 2·sigmoid(r[0])^ln 10 + 1e-7         overall amplitude
//   α_k = A·softmax(r[1..H])_k              k = 1..H
// The pitch source (RavePitchSource::render) turns α into Σ α_k sin kφ at the excitation's phase.
// Tensors: decoder.harmonic_head.conv.conv.* [C, D, k], decoder.harmonic_head.out.conv.* [1+H, C, 1].
#pragma once

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "models/rave_config.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveHarmonicHead {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;  // allocates
  Error prepare() noexcept;                                      // allocates
  void reset() noexcept;
  // One latent frame: z [D] → alpha [H]. RT-safe.
  void process(const float* z, float* alpha) noexcept;
  int harmonics() const noexcept { return harmonics_; }

 private:
  CachedConv1d conv_, out_;
  AlignedBuffer<float> h_, r_;  // [C], [1+H]
  int harmonics_ = 0;
  float slope_ = 0.2f;
};

}  // namespace rt_synth
