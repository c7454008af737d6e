// Streaming DDSP harmonic-plus-noise model: decoder network + oscillator bank + filtered
// noise (docs/ddsp-maths.md, docs/core-ddsp.md).
//
// Controls arrive as per-sample streams (f0 in Hz, loudness in dB). Frame i uses the values
// at sample i·H: when the stream reaches a frame boundary, the controls of that sample are
// read, the network runs one step, the frame's harmonic amplitudes, noise IR and noise
// overlap-add are computed, and the frame's samples are then synthesised from the causal
// ramp as the host asks for them. Any block size works; latency() is 0 (§6).
//
// Real time: everything is allocated in prepare(); process() does not allocate, lock, log,
// throw or make syscalls, flushes denormals for its duration (restoring the caller's mode),
// and sanitises its inputs: NaN → the previous valid value (the low end of the range at
// first), then a clamp to the control ranges stored in the file (the oscillator's f0 to
// [0, SR/2]), so the output stays finite whatever comes in.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dsp/counter_noise.h"
#include "dsp/filtered_noise.h"
#include "dsp/harmonic_oscillator.h"
#include "format/model_file.h"
#include "kinds/ddsp/ddsp_config.h"
#include "kinds/ddsp/ddsp_network.h"
#include "util/error.h"

namespace rt_synth {

class DDSPModel {
 public:
  // Builds the model from a validated file of kind "ddsp". Allocates (weights).
  static Error fromFile(const ModelFile& file, std::unique_ptr<DDSPModel>& out) noexcept;
  static Error load(const std::string& path, std::unique_ptr<DDSPModel>& out) noexcept;

  // Only the model's own sample rate is supported for now (kInvalidArgument otherwise).
  // max_block ≥ 1 is the largest n process() will be given. Allocates; then reset(0).
  Error prepare(double sample_rate, int max_block) noexcept;
  // Silence: GRU state, phase, ramps, noise tail and sample counter back to zero.
  void reset(uint64_t seed = 0) noexcept;
  // f0_hz[n], loudness_db[n] → out[n]. n in 1..max_block (larger n also works). Real-time safe.
  // Before prepare() it writes silence.
  void process(const float* f0_hz, const float* loudness_db, float* out, int n) noexcept;

  int latency() const noexcept { return 0; }  // control → audio, §6
  const DDSPConfig& config() const noexcept { return cfg_; }
  int hop() const noexcept { return static_cast<int>(cfg_.hop); }
  int sampleRate() const noexcept { return static_cast<int>(cfg_.sample_rate); }
  bool prepared() const noexcept { return prepared_; }
  int maxBlock() const noexcept { return max_block_; }
  uint64_t sampleCounter() const noexcept { return noise_gen_.counter(); }

 private:
  void beginFrame(float f0_in, float loudness_in) noexcept;

  DDSPConfig cfg_;
  DDSPNetwork net_;
  dsp::HarmonicOscillator osc_;
  dsp::FilteredNoise noise_;
  dsp::CounterNoise noise_gen_;
  std::vector<float> raw_, amps_, mags_, frame_noise_;
  int pos_ = 0;  // samples of the current frame already output (hop = none pending)
  int max_block_ = 0;
  bool prepared_ = false;
  float last_f0_ = 0.f, last_loudness_ = 0.f;  // last valid (non-NaN) inputs
};

}  // namespace rt_synth
