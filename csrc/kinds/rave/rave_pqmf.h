// PQMF analysis and synthesis of a RAVE-style model (docs/rave.md §2), streaming.
//
// Analysis: a causal strided convolution 1 → M bands, kernel N, stride M, computed only at
// the decimated instants (CachedConv1d keeps the stride phase across blocks): band frame j
// is emitted in the block that contains input sample j·M.
// Synthesis: a transposed convolution M → 1, kernel N, stride M, computed per phase
// (CachedConvTranspose1d, polyphase: each band frame yields its M samples at once).
// The filters are the file's tensors (pqmf.analysis.conv.weight, already time-reversed, and
// pqmf.synthesis.conv.weight scaled by M); analysis → synthesis gives x delayed by N − 1.
#pragma once
#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "layers/cached_conv_transpose1d.h"
#include "kinds/rave/rave_config.h"
#include "util/error.h"

namespace rt_synth {

class RavePqmfAnalysis {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;
  Error prepare(int max_samples) noexcept;
  void reset() noexcept { conv_.reset(); }
  int outputFrames(int n) const noexcept { return conv_.output_frames(n); }
  // audio[n] → bands [M][m] (m = outputFrames(n)). Real-time safe.
  int process(const float* audio, float* bands, int n) noexcept { return conv_.process(audio, bands, n); }

 private:
  CachedConv1d conv_;
};

class RavePqmfSynthesis {
 public:
  Error load(const ModelFile& f, const RaveConfig& c) noexcept;
  Error prepare(int max_frames) noexcept { return conv_.prepare(max_frames); }
  void reset() noexcept { conv_.reset(); }
  // bands [M][m] → audio[m·M]. Real-time safe.
  int process(const float* bands, float* audio, int m) noexcept { return conv_.process(bands, audio, m); }

 private:
  CachedConvTranspose1d conv_;
};

}  // namespace rt_synth
