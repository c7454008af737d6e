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
//
// Knobs (docs/effect-models.md, "Knobs"): a model conditioned on K knobs (the file's
// rt_synth.effect.knobs.names/min/max/default) reads [audio, knob_1..knob_K] per sample, each
// knob as (value - min) / (max - min). setKnob() may be called from any thread (an atomic
// store; clamped to the knob's range; NaN refused); process() reads the knobs once at its
// start, so a change applies from the next process() call on, for the whole block. After a
// reset() the history is silence at the knob values of the first block.
#include <atomic>
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

struct KnobInfo {
  std::string name;
  float min = 0.f, max = 1.f, def = 0.f;
};

struct EffectConfig {
  static constexpr int kMaxKnobs = 16;
  std::string name, arch;
  std::vector<KnobInfo> knobs;
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
  int knobCount() const noexcept { return static_cast<int>(cfg_.knobs.size()); }
  int knobIndex(const std::string& name) const noexcept;  // -1 when there is none
  // Any thread, real-time safe. false (nothing changed) for an index out of range or NaN;
  // ±inf clamp to the range's ends.
  bool setKnob(int index, float value) noexcept;
  float knob(int index) const noexcept;  // the value set (clamped), or the default
  int sampleRate() const noexcept { return static_cast<int>(cfg_.sample_rate); }
  int latency() const noexcept { return 0; }
  bool prepared() const noexcept { return prepared_; }

 private:
  EffectConfig cfg_;
  std::vector<LSTM> lstm_;
  Linear head_;
  std::unique_ptr<WaveNet> wavenet_;
  void readKnobs() noexcept;  // knob_[k] = normalised values of the atomics

  std::vector<float> h_;  // the last layer's output for one sample
  std::vector<float> x_;  // the first layer's input for one sample: [audio, knobs]
  std::atomic<float> knob_value_[EffectConfig::kMaxKnobs];
  float knob_norm_[EffectConfig::kMaxKnobs] = {};
  float warm_knobs_[EffectConfig::kMaxKnobs] = {};  // the knobs the WaveNet's silence was warmed at
  bool fresh_ = true;                               // nothing processed since reset()
  bool prepared_ = false;
};

}  // namespace rt_synth::effect
