// Causal RAVE decoder, streaming (docs/rave.md §3): latent z [D][m] → PQMF bands [M][m·R_e].
//
//   conv_in (kernel) → per stage [lrelu, transposed conv (k = 2s, stride s), ResidualUnit(d)
//   for d in dilations] → lrelu → conv_out (kernel) to 2M (+M with noise) channels h:
//   bands = h[0:M]·sigmoid(h[M:2M]) (+ sigmoid(h[2M:3M])·noise)
//   (with decoder_gate_floor f: h[0:M]·(f + (1 − f)·sigmoid(h[M:2M])))
// Latent frame t yields band frames t·R_e .. t·R_e + R_e − 1 at once (zero-delay layers).
// Noise: the core's counter noise (dsp/counter_noise.h); band k of band frame j takes value
// j·M + k of the stream, i.e. sample index j·M + k: the same in TorchScript and in tests.
//
// Pitch source (config.pitch_source): the LAST stage, right after its transposed conv, adds the
// PQMF bands E [M][n] of the harmonic excitation (rave_pitch_source.h), projected and gated by
// the stage's own features (FiLM-style), before its residual units:
//   h = up(lrelu(x));  h = h + exc_in(E) ⊙ (1 + exc_film(h));  residuals
// exc_in: causal conv M → C (kernel, with state), exc_film: 1×1 conv C → C
// (decoder.stages.{last}.exc_in.conv.*, .exc_film.conv.*).
#pragma once
#include <cstdint>
#include <vector>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "layers/cached_conv_transpose1d.h"
#include "kinds/rave/rave_config.h"
#include "kinds/rave/rave_residual.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveDecoder {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;  // allocates
  Error prepare(int max_latent_frames) noexcept;                 // allocates
  void reset() noexcept;
  // z [D][m] → bands [M][m·R_e]; first_sample = stream index of the first band frame's
  // first sample (t·R for latent frame t), for the noise. m ≤ max_latent_frames. RT-safe.
  // exc: the excitation bands [M][m·R_e] of the same band frames (pitch source only; nullptr
  // reads as zero bands; ignored without a pitch source).
  int process(const float* z, float* bands, int m, uint64_t first_sample, const float* exc = nullptr) noexcept;
  bool hasPitchSource() const noexcept { return excitation_; }

 private:
  struct Stage {
    CachedConvTranspose1d up;
    std::vector<RaveResidualUnit> residuals;
  };
  // h [C][n] += exc_in(E) ⊙ (1 + exc_film(h)), in place.
  void inject(float* h, const float* exc, int n) noexcept;
  CachedConv1d conv_in_, conv_out_;
  std::vector<Stage> stages_;
  CachedConv1d exc_in_, exc_film_;         // last stage, pitch source only
  AlignedBuffer<float> a_, b_;
  AlignedBuffer<float> exc_a_, exc_b_, exc_zero_;  // [C_last][n], [C_last][n], [M][n]
  std::vector<int> channels_;
  int bands_ = 0, re_ = 1, max_latent_ = 0;
  float slope_ = 0.2f;
  float gate_floor_ = 0.f, gate_span_ = 1.f;  // f and 1 − f (decoder_gate_floor)
  // DC blocker (decoder_dc_block_hz): m = a·m + (1 − a)·x, y = x − m per band; m per band
  bool dc_block_ = false;
  float dc_a_ = 0.f, dc_b_ = 1.f;
  std::vector<float> dc_mean_;
  bool noise_ = false;
  bool excitation_ = false;
  uint64_t seed_ = 0;
};

}  // namespace rt_synth
