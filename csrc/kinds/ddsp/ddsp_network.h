// The DDSP decoder network (docs/ddsp-maths.md §7), one frame per step, batched over voices:
//     x_f = MLP_f(f0_norm), x_l = MLP_l(ld_norm)
//     h_t = GRU([x_f, x_l], h_{t-1})
//     raw = head(MLP_o([h_t, x_f, x_l]))            raw = [a (1), d (K), n (B)]
// Every layer runs once per frame for all `batch` voices (matrix-matrix products), so a
// voice bank pays one pass over the weights per frame, not one per voice.
#pragma once
#include <vector>

#include "format/model_file.h"
#include "layers/gru.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "kinds/ddsp/ddsp_config.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class DDSPNetwork {
 public:
  // Reads every tensor with its expected shape. Allocates.
  Error load(const ModelFile& file, const DDSPConfig& config) noexcept;
  // Scratch and GRU state for up to max_voices. Allocates; zeroes the state.
  Error prepare(int max_voices) noexcept;
  void reset() noexcept;
  void resetVoice(int v) noexcept;

  // f0_hz[batch], loudness_db[batch] (any values: clamped to the control ranges here,
  // NaN must be replaced by the caller) → raw[batch][numOutputs()]. Real-time safe.
  void step(const float* f0_hz, const float* loudness_db, float* raw, int batch) noexcept;
  // The same for voices first..first+batch-1 only (requires first == 0 or first >= batch),
  // with ONE copy of the weights: the synth engine's lookahead steps its voice groups with it
  // (per-group network copies would multiply the weight traffic per block; measured 4x
  // slower). Real-time safe.
  void stepGroup(int first, const float* f0_hz, const float* loudness_db, float* raw, int batch) noexcept;

  int numOutputs() const noexcept { return n_out_; }
  int maxVoices() const noexcept { return max_voices_; }

 private:
  struct MLP {
    std::vector<Linear> linear;
    std::vector<LayerNorm> norm;
  };
  Error loadMLP(const ModelFile& f, const char* prefix, int in, MLP& mlp) noexcept;
  // in [batch][in] → out [batch][H]; tmp is scratch [batch][H]. in may alias nothing else.
  void runMLP(const MLP& mlp, const float* in, float* out, int batch) noexcept;
  void swapRows(int first, int count) noexcept;  // GRU states first.. <-> 0..count-1

  DDSPConfig cfg_;
  int hd_ = 0, g_ = 0, n_out_ = 0, max_voices_ = 0;
  MLP mlp_f_, mlp_l_, mlp_o_;
  GRU gru_;
  Linear head_;
  AlignedBuffer<float> in_f_, in_l_;  // [V] normalised inputs
  AlignedBuffer<float> xf_, xl_;      // [V][H]
  AlignedBuffer<float> gru_in_;       // [V][2H]  = [x_f, x_l]
  AlignedBuffer<float> cat_;          // [V][G+2H] = [h, x_f, x_l]
  AlignedBuffer<float> tmp_a_, tmp_b_;  // [V][max(H, ...)]
};

}  // namespace rt_synth
