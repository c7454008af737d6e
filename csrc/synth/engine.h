// Engine: the one object a host embeds. prepare(host_rate, max_block) · process(in, out, n) ·
// latency(), with two modes over one shipped DDSP model:
//   kSynth     MIDI → polyphonic DDSP synth (SynthEngine); `in` is ignored
//   kTransfer  timbre transfer: mic/line in → f0 + loudness tracking → the model (TimbreTransfer)
//
// Both engines are built at load() and prepared by prepare() (the model's weights are held
// twice). At a host rate other than the model's (44.1, 88.2, 96 kHz, ...) each runs behind
// its own HostAdapter (causal resamplers), whose delay is included in latency().
//
// Mode switch: setMode() may be called from any thread, concurrently with process(). It
// only publishes the requested mode (an atomic); the audio thread picks it up at the start
// of its next block, resets the incoming engine (real-time safe: no allocation) and
// cross-fades from the outgoing one over kFadeMs. Nothing is built or freed on the switch.
// In transfer mode MIDI is ignored (pushMidi returns false); synth parameters still queue.
//
// Real time: prepare() allocates everything; process() does not allocate, lock or throw.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "host/host_adapter.h"
#include "synth/synth_engine.h"
#include "transfer/timbre_transfer.h"
#include "util/aligned_buffer.h"

namespace rt_synth::synth {

struct EngineOptions {
  int max_voices = 8;
  int lookahead_frames = -1;  // synth: -1 auto (1 when the engine-side block < hop), 0, 1
  TransferAnalysis analysis;  // transfer mode's analysis settings
};

class Engine {
 public:
  enum class Mode { kSynth = 0, kTransfer = 1 };
  static constexpr double kFadeMs = 5.0;

  static Error load(const std::string& path, int max_voices, std::unique_ptr<Engine>& out) noexcept;
  static Error load(const std::string& path, const EngineOptions& opt, std::unique_ptr<Engine>& out) noexcept;
  static Error fromFile(const ModelFile& file, const EngineOptions& opt, std::unique_ptr<Engine>& out) noexcept;

  // Any thread; takes effect at the start of the next process() block. kUnsupported when the
  // model cannot run timbre transfer (the message says why); the mode is then unchanged.
  Error setMode(Mode m) noexcept;
  Mode mode() const noexcept { return static_cast<Mode>(requested_.load(std::memory_order_acquire)); }
  Mode activeMode() const noexcept { return static_cast<Mode>(active_.load(std::memory_order_relaxed)); }
  bool transferAvailable() const noexcept { return transfer_ != nullptr; }

  // host_rate: any rate > 0 (the model's own = no resampling). Allocates; then reset().
  Error prepare(double host_rate, int max_block) noexcept;
  // Audio thread. in[n] (transfer input; may be null = silence; may equal out), out[n], any n.
  void process(const float* in, float* out, int n) noexcept;
  // Silence both modes now (audio thread, or while process() is not running).
  void reset() noexcept;
  // Host samples from input/MIDI to output for the requested mode (resamplers included).
  int latency() const noexcept { return latencyFor(mode()); }
  int latencyFor(Mode m) const noexcept;
  double latencySeconds() const noexcept;
  bool prepared() const noexcept { return prepared_; }
  int hostRate() const noexcept { return host_rate_; }
  int modelRate() const noexcept { return model_rate_; }
  int maxBlock() const noexcept { return max_block_; }

  // MIDI (synth mode; any thread, lock-free): sample_offset in HOST samples of the next block.
  // When resampling, mapped to model time by HostAdapter::engineOffset (exact, from the
  // event's absolute host time: the same result for every block size; the input resampler's
  // delay included, so MIDI reaches the output latency() samples later like audio does).
  bool pushMidi(const uint8_t* bytes, int len, int sample_offset = 0) noexcept;
  bool setParam(Param id, float value) noexcept { return synth_->setParam(id, value); }

  SynthEngine& synth() noexcept { return *synth_; }
  const SynthEngine& synth() const noexcept { return *synth_; }
  // Transfer parameters (atomic setters, any thread). Null when transferAvailable() is false.
  TimbreTransfer* transfer() noexcept { return transfer_.get(); }
  const TimbreTransfer* transfer() const noexcept { return transfer_.get(); }

 private:
  void runMode(int m, const float* in, float* out, int n) noexcept;
  void resetMode(int m) noexcept;
  void processChunk(const float* in, float* out, int n) noexcept;

  EngineOptions opt_;
  std::unique_ptr<SynthEngine> synth_;
  std::unique_ptr<TimbreTransfer> transfer_;
  std::string transfer_error_;
  HostAdapter adapters_[2];  // per mode, used when host rate != model rate
  bool resampling_ = false, prepared_ = false;
  int host_rate_ = 48000, model_rate_ = 48000, max_block_ = 0;
  std::atomic<int> requested_{0}, active_{0};
  // Cross-fade (audio thread).
  int fade_len_ = 240, fade_pos_ = 0, fade_from_ = 0;
  AlignedBuffer<float> in_copy_, old_out_;
};

}  // namespace rt_synth::synth
