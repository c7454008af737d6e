#pragma once
// Kind "effect": waveform in, waveform out (docs/effect-models.md). Two architectures:
// "lstm" (rt_synth/kinds/effect/model/lstm.py: per sample, an LSTM stack over the input and a
// linear head, plus the input when `skip` is set; optional tensors lstm.l{k}.h0/.c0 give the
// state reset() returns to, as a Neural Amp Modeler LSTM has, absent = zeros) and "wavenet"
// (wavenet.h). Latency 0; any block size.
//
// Real time: prepare() allocates; process() and reset() do not allocate, lock or throw, and
// flush denormals for their duration. Input is sanitised (NaN → 0, clamped to ±kInputBound)
// and the output is finite and within ±kOutputBound whatever the weights do.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "layers/linear.h"
#include "layers/lstm.h"
#include "kinds/effect/wavenet.h"
#include "util/error.h"

namespace rt_synth::effect {

struct EffectConfig {
  std::string name, arch;
  uint32_t sample_rate = 48000;
  uint32_t hidden_size = 0, num_layers = 1;
  bool skip = true;
  uint64_t parameters = 0;
  static Error read(const ModelFile& f, EffectConfig& out) noexcept;
};

class EffectModel {
 public:
  static constexpr float kInputBound = 8.f;    // +18 dBFS: more is a broken input, not a signal
  static constexpr float kOutputBound = 4.f;   // +12 dBFS; hosts add the output safety stage

  static Error fromFile(const ModelFile& file, std::unique_ptr<EffectModel>& out) noexcept;
  static Error load(const std::string& path, std::unique_ptr<EffectModel>& out) noexcept;

  Error prepare() noexcept;  // allocates the state; the model is then ready at any block size
  void reset() noexcept;     // silence: the initial state (zeros unless the file gives one)
  // in[n] → out[n] (may alias). Real-time safe; needs prepare().
  void process(const float* in, float* out, int n) noexcept;

  const EffectConfig& config() const noexcept { return cfg_; }
  int sampleRate() const noexcept { return static_cast<int>(cfg_.sample_rate); }
  int latency() const noexcept { return 0; }
  bool prepared() const noexcept { return prepared_; }

 private:
  EffectConfig cfg_;
  std::vector<LSTM> lstm_;
  Linear head_;
  std::unique_ptr<WaveNet> wavenet_;
  std::vector<float> h_;  // the last layer's output for one sample
  bool prepared_ = false;
};

}  // namespace rt_synth::effect
