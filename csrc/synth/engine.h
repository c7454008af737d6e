// Engine: what a host drives, prepare(sr, max_block) · process(in, out, n) · latency(), with
// two modes over one shipped model:
//   kSynth     MIDI → polyphonic DDSP synth (SynthEngine); `in` is ignored
//   kTransfer  timbre transfer: mic/line in → f0 + loudness tracking → the model
// The transfer mode is a slot: its pieces (csrc/transfer: streaming YIN, loudness, voicing
// gate) are being written separately; until they are built in, setMode(kTransfer) returns
// kUnsupported and the engine stays in synth mode. Mode changes are made while the host is
// not calling process() (they allocate nothing but switch what process() runs).
#pragma once
#include <memory>
#include <string>

#include "synth/synth_engine.h"

namespace rt_synth::synth {

class Engine {
 public:
  enum class Mode { kSynth, kTransfer };

  static Error load(const std::string& path, int max_voices, std::unique_ptr<Engine>& out) noexcept;

  Error setMode(Mode m) noexcept;
  Mode mode() const noexcept { return mode_; }

  Error prepare(double sample_rate, int max_block) noexcept { return synth_->prepare(sample_rate, max_block); }
  void process(const float* in, float* out, int n) noexcept { synth_->process(in, out, n); }
  void reset() noexcept { synth_->reset(); }
  int latency() const noexcept { return synth_->latency(); }

  bool pushMidi(const uint8_t* bytes, int len, int sample_offset = 0) noexcept {
    return synth_->pushMidi(bytes, len, sample_offset);
  }
  bool setParam(Param id, float value) noexcept { return synth_->setParam(id, value); }

  SynthEngine& synth() noexcept { return *synth_; }

 private:
  std::unique_ptr<SynthEngine> synth_;
  Mode mode_ = Mode::kSynth;
};

}  // namespace rt_synth::synth
