// RaveHarmonicHead: the harmonic head of a RAVE-style decoder (docs/rave.md "Harmonic head";
// the PyTorch reference is rt_synth/models/rave/harmonic_head.py).
//
// Per latent frame z [D]:
//   r = out(lrelu(conv(x)))                 conv: causal, kernel k, D → C (state: k−1 frames)
//                                           x = z, or with harmonic_f0 [z; q; p] (D+2):
//                                           q = clip(log2(f0/f0_min)/log2(f0_max/f0_min), 0, 1),
//                                           p = clip(periodicity, 0, 1) (NaN: f0_min, 0)
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
  // One latent frame: z [D] (+ the frame's f0 and periodicity, read with harmonic_f0) →
  // alpha [H]. RT-safe.
  void process(const float* z, float f0, float periodicity, float* alpha) noexcept;
  int harmonics() const noexcept { return harmonics_; }

 private:
  CachedConv1d conv_, out_;
  AlignedBuffer<float> x_, h_, r_;  // [D (+2)], [C], [1+H]
  int harmonics_ = 0, latent_ = 0;
  bool with_f0_ = false;
  float f0_min_ = 1.f, octaves_ = 1.f;
  float slope_ = 0.2f;
};

}  // namespace rt_synth
