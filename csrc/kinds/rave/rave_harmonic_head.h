// RaveHarmonicHead: the harmonic head of a RAVE-style decoder (docs/rave.md "Harmonic head",
// §13 for the DDSP-style options; the PyTorch reference is rt_synth/kinds/rave/model/harmonic_head.py).
//
// Per latent frame:
//   r = out(lrelu(hidden_{L−1}(… lrelu(hidden_1(lrelu(conv(x)))))))
//       conv: causal, kernel k, I → C (state: k−1 frames); hidden_j: 1×1, C → C
//       (harmonic_layers − 1 of them); out: 1×1, C → 1+H (+M with harmonic_noise)
//       x = [z; q; p; l], each part as the file says:
//         z [D]   the latent (harmonic_latent, default on)
//         q, p    q = clip(log2(f0/f0_min)/log2(f0_max/f0_min), 0, 1), p = clip(periodicity, 0, 1)
//                 (harmonic_f0; NaN: f0_min, 0)
//         l       the input's loudness, 0..loudness_max (harmonic_loudness; NaN → 0)
//   A = 2·sigmoid(r[0])^ln 10 + 1e-7         overall amplitude
//   α_k = A·softmax(r[1..H])_k              k = 1..H
//   γ_b = 2·sigmoid(r[1+H+b])^ln 10 + 1e-7   noise gain of PQMF band b (harmonic_noise), b < M
// The pitch source (RavePitchSource::render) turns α into Σ α_k sin kφ at the excitation's phase;
// the model ramps γ over the frame and multiplies it with the decoder's noise stream.
// Tensors: decoder.harmonic_head.conv.conv.* [C, I, k], decoder.harmonic_head.hidden.{j}.conv.*
// [C, C, 1], decoder.harmonic_head.out.conv.* [1+H(+M), C, 1].
#pragma once

#include <vector>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "kinds/rave/rave_config.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveHarmonicHead {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;  // allocates
  Error prepare() noexcept;                                      // allocates
  void reset() noexcept;
  // One latent frame: z [D] (read with harmonic_latent), the frame's f0 and periodicity (read
  // with harmonic_f0) and loudness (read with harmonic_loudness) → alpha [H], and with
  // harmonic_noise the noise gains [M] (gains may be nullptr otherwise). RT-safe.
  void process(const float* z, float f0, float periodicity, float loudness, float* alpha,
               float* gains = nullptr) noexcept;
  int harmonics() const noexcept { return harmonics_; }
  int noiseBands() const noexcept { return noise_bands_; }

 private:
  CachedConv1d conv_, out_;
  std::vector<CachedConv1d> hidden_;
  AlignedBuffer<float> x_, h_, h2_, r_;  // [I], [C], [C], [1+H+M]
  int harmonics_ = 0, latent_ = 0, noise_bands_ = 0;
  bool with_latent_ = true, with_f0_ = false, with_loudness_ = false;
  float f0_min_ = 1.f, octaves_ = 1.f, loudness_max_ = 1.2f;
  float slope_ = 0.2f;
};

}  // namespace rt_synth
