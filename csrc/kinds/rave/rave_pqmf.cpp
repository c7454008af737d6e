#include "kinds/rave/rave_pqmf.h"

#include "format/layer_loader.h"

namespace rt_synth {

Error RavePqmfAnalysis::load(const ModelFile& f, const RaveConfig& c) noexcept {
  return load_conv1d(f, "pqmf.analysis.conv", c.n_bands, 1, c.pqmf_taps, c.n_bands, 1, conv_, Bias::kNone);
}

Error RavePqmfAnalysis::prepare(int max_samples) noexcept { return conv_.prepare(max_samples); }

Error RavePqmfSynthesis::load(const ModelFile& f, const RaveConfig& c) noexcept {
  return load_conv_transpose1d(f, "pqmf.synthesis.conv", c.n_bands, 1, c.pqmf_taps, c.n_bands, conv_, Bias::kNone);
}

}  // namespace rt_synth
