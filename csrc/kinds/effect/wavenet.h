#pragma once
// The effect kind's WaveNet (rt_synth/kinds/effect/model/wavenet.py, Neural Amp Modeler's
// arrangement) in the core: layer arrays of cached dilated causal convolutions, each layer
// z = conv(h) + mix(x), a = act(z) (or tanh·sigmoid when gated), h += 1×1(a), head += a;
// array k+1 reads array k's residual stream and starts its head from array k's head;
// y = head_scale · last head. Streams at any block size (chunks of kChunk internally).
//
// Knobs: the condition (every layer's input mixin) is [audio, knob_1..knob_K], the knob rows
// constant over a chunk (setKnobs); the first array's input stays the audio.
//
// reset() puts in each layer's history what silence leaves there, as in the PyTorch model's
// zero-padded input: the first reset at given knob values runs receptive_field zeros through
// the network ("pre-warm", milliseconds for NAM's standard size) and snapshots every layer's
// state; later resets at the same knob values restore the snapshot (a copy, microseconds), so
// a reset on the audio thread stays within a block. Only a knob change before the first block
// after a reset runs the pre-warm again (docs/effect-models.md, "Knobs").
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth::effect {

struct WaveNetArrayConfig {
  int input_size = 1, condition_size = 1, head_size = 1, channels = 1, kernel_size = 3;
  std::vector<int> dilations;
  std::string activation = "Tanh";
  bool gated = false, head_bias = false;
};

class WaveNet {
 public:
  static constexpr int kChunk = 256;
  static constexpr int kMaxArrays = 4;

  static Error readConfig(const ModelFile& f, std::vector<WaveNetArrayConfig>& arrays, float& head_scale) noexcept;
  // reads the config and the weights (condition_size must be 1 + knobs); allocates
  Error load(const ModelFile& f, int knobs = 0) noexcept;
  // The normalised knob values (knobs of load()) the condition carries from now on; copied.
  void setKnobs(const float* values) noexcept;
  void reset() noexcept;                    // pre-warmed silence (at the knobs set)
  // x [n] (already sanitised) → y [n]; any n. Real-time safe.
  void process(const float* x, float* y, int n) noexcept;
  int receptiveField() const noexcept { return receptive_field_; }

 private:
  struct Layer {
    CachedConv1d conv, mixer, out1x1;
  };
  struct Array {
    WaveNetArrayConfig cfg;
    int act = 0;  // 0 tanh, 1 relu, 2 sigmoid, 3 hardtanh
    CachedConv1d rechannel, head_rechannel;
    std::vector<Layer> layers;
  };
  void chunk(const float* x, float* y, int n) noexcept;
  template <class F> void forEachConv(F f);

  std::vector<Array> arrays_;
  float head_scale_ = 1.f;
  int receptive_field_ = 1;
  int max_c_ = 1;
  int knobs_ = 0;
  float knob_[32] = {};
  // channel-major scratch, [max_c][kChunk] (z: [2·max_c][kChunk])
  AlignedBuffer<float> h_, h2_, z_, zmix_, a_, head_, head_in_, tmp_, zeros_;
  AlignedBuffer<float> cond_;  // the condition [1 + knobs][kChunk]: audio, then constant knob rows
  AlignedBuffer<float> warm_;  // every conv's state after the pre-warm (the snapshot reset restores)
  float warm_knob_[32] = {};   // the knob values the snapshot was taken at
  bool warm_valid_ = false;
};

}  // namespace rt_synth::effect
