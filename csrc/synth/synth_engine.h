// SynthEngine: a polyphonic MIDI synthesiser on a DDSP model (docs/synth-engine.md).
//
//   MIDI bytes / parameters ──(lock-free queue, any thread)──► process() on the audio thread
//   voices 1..32, each with its own oscillator bank, filtered noise, noise stream, GRU state,
//   ADSR, glide; ONE batched network step per frame for all sounding voices.
//
// Timing. The model takes controls at frame boundaries (hop H = 192 samples at 48 kHz). A
// MIDI event carries its sample offset in the block it was pushed for; it takes effect at
// the first frame boundary at or after that offset, in absolute sample time. Jitter is
// therefore 0..H−1 samples (0..3.98 ms at 48 kHz, 2 ms on average), and it does not depend
// on the host's block size: rendering the same events with any block size gives the same
// samples bit for bit. A stolen voice fades out over one frame first, so the note that
// stole it starts one frame (4 ms) later.
//
// Real time: prepare() allocates everything. process() does not allocate, lock, log, throw
// or make syscalls; it flushes denormals for its duration; its output is finite and bounded
// by the limiter's ceiling whatever arrives (garbage MIDI, NaN parameters, NaN input).
// pushMidi / setParam / mapCC / requestReset / requestAllNotesOff may be called from any
// number of threads concurrently with process(): they never block it (lock-free queue; a
// full queue drops the event and counts it).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "host/stream_engine.h"
#include "kinds/ddsp/ddsp_config.h"
#include "kinds/ddsp/ddsp_network.h"
#include "synth/event_queue.h"
#include "dsp/output_limiter.h"
#include "synth/midi_parser.h"
#include "synth/synth_params.h"
#include "synth/voice.h"
#include "synth/voice_allocator.h"
#include "util/error.h"

namespace rt_synth::synth {

constexpr int kMaxVoices = 32;

struct EngineStats {
  int active_voices = 0;         // voices sounding after the last block
  int64_t events_dropped = 0;    // events lost to a full queue or pending list
  int64_t midi_events = 0;       // MIDI messages parsed
  int64_t notes_stolen = 0;
  float last_peak = 0.f;         // |out| max of the last block
  float limiter_gain = 1.f;      // current limiter gain (1 = not limiting)
};

// One queued item: a chunk of raw MIDI bytes, a parameter change, a CC mapping or a command.
struct EngineEvent {
  enum Kind : uint8_t { kMidi, kParam, kCCMap, kReset, kAllNotesOff };
  uint8_t kind = kMidi;
  uint8_t len = 0;
  uint8_t bytes[14] = {};
  int32_t offset = 0;  // samples from the start of the next block
  int32_t id = 0;      // param id / CC number
  float value = 0.f;   // param value / CC map min
  float value2 = 0.f;  // CC map max
  int32_t target = 0;  // CC map target param (−1 = unmap)
};

class SynthEngine : public StreamEngine {
 public:
  // max_voices in 1..32. Allocates (weights).
  static Error fromFile(const ModelFile& file, int max_voices, std::unique_ptr<SynthEngine>& out) noexcept;
  static Error load(const std::string& path, int max_voices, std::unique_ptr<SynthEngine>& out) noexcept;

  // Only the model's own rate (Engine / HostAdapter adapt others). Allocates.
  // lookahead_frames: 0 = the network step for a frame runs at that frame's boundary (one
  // block in hop/block carries the whole bank's step); 1 = the step for frame k+1 is computed
  // during frame k, split into voice groups spread over the frame's blocks (flat per-block
  // cost), at one frame (hop samples) of added control latency, reported by latency().
  // -1 = auto: 1 when max_block < hop, else 0 (Engine's default). The default here stays 0 so
  // that direct embedders (C ABI, Pd, LV2) keep their timing. See docs/synth-engine.md "Lookahead".
  Error prepare(double sample_rate, int max_block, int lookahead_frames = 0) noexcept;
  // Audio thread. `in` is unused by the synth (may be null); out[n]; any n ≥ 1.
  void process(const float* in, float* out, int n) noexcept override;
  // Audio thread (or while process() is not running): silence; pending events cleared;
  // controllers (bend, sustain, mod wheel, expression) at rest; other parameters and the
  // CC map are kept.
  void reset() noexcept;
  // Control → audio delay: lookaheadFrames()·hop (0 or 192 at 48 kHz); MIDI jitter: see above.
  int latency() const noexcept override { return lookahead_ * hop_; }
  int lookaheadFrames() const noexcept { return lookahead_; }
  int networkGroups() const noexcept { return lookahead_ ? groups_ : 1; }
  int maxBlock() const noexcept override { return max_block_; }  // any n works; this is prepare's

  // Any thread, lock-free. sample_offset: position in the next process() block (clamped
  // to ≥ 0; beyond the block it carries over). Messages longer than 14 bytes are split.
  bool pushMidi(const uint8_t* bytes, int len, int sample_offset = 0) noexcept;
  bool setParam(Param id, float value, int sample_offset = 0) noexcept;
  // CC `cc` (0..127) → param, value 0..127 mapped to [min, max]. target = Param::kCount unmaps.
  bool mapCC(int cc, Param target, float min, float max) noexcept;
  bool requestReset() noexcept;
  bool requestAllNotesOff() noexcept;

  EngineStats stats() const noexcept;
  // The value last applied on the audio thread (for display; any thread).
  float param(Param id) const noexcept;

  int maxVoices() const noexcept { return max_voices_; }
  int sampleRate() const noexcept { return static_cast<int>(cfg_.sample_rate); }
  int hop() const noexcept { return static_cast<int>(cfg_.hop); }
  const DDSPConfig& config() const noexcept { return cfg_; }
  bool prepared() const noexcept { return prepared_; }
  // Velocity 1..127 → loudness (dB) fed to the model at the envelope's peak.
  float velocityToLoudnessDb(int velocity) const noexcept;

 private:
  static constexpr int kMaxPending = 2048;
  using Queue = EventQueue<EngineEvent, 4096>;

  bool enqueue(const EngineEvent& e) noexcept;
  void drainQueue() noexcept;
  void applyDueEvents(int position) noexcept;
  void applyEvent(const EngineEvent& e) noexcept;
  void handleMidi(const MidiEvent& m) noexcept;
  void applyParam(Param id, float value) noexcept;
  void noteOn(int note, int velocity) noexcept;
  void noteOff(int note) noexcept;
  void sustainPedal(bool down) noexcept;
  void allNotesOff() noexcept;
  void allSoundOff() noexcept;
  void resetControllers() noexcept;
  void startVoice(int slot, int note, int velocity) noexcept;
  void beginFrame() noexcept;
  int frameControls() noexcept;       // per-voice f0_/ld_ for the frame; returns the batch
  void lookaheadAdvance() noexcept;   // boundary, before events: render voices take the staged frame
  void lookaheadStage() noexcept;     // boundary, after events: controls of the next frame
  void runGroupsBefore(int pos) noexcept;  // lookahead steps due before frame position pos
  void releaseVoice(Voice& v) noexcept;
  int usableVoices() const noexcept;

  DDSPConfig cfg_;
  DDSPNetwork net_;  // stepGroup() for the lookahead's voice groups
  int max_voices_ = 8;
  int max_block_ = 0;
  bool prepared_ = false;
  int hop_ = 192;
  int pos_ = 0;  // samples of the current frame already rendered (hop = at a boundary)

  std::vector<Voice> voices_;  // the voices events act on (with lookahead: the control side)

  // Lookahead (lookahead_ == 1): render voices one frame behind voices_, the staged control
  // state they take at the next boundary, and the network split into voice groups.
  static constexpr int kMaxGroups = 3;
  int lookahead_ = 0, groups_ = 1, groups_done_ = 0;
  bool first_frame_ = true;
  int group_start_[kMaxGroups + 1] = {}, group_due_[kMaxGroups] = {}, group_batch_[kMaxGroups] = {};
  std::vector<Voice> rvoices_;
  std::vector<Voice::ControlState> staged_;
  std::vector<float> f0_, ld_, raw_;  // [V], [V], [V][n_out]
  std::unique_ptr<Queue> queue_;
  std::vector<EngineEvent> pending_;  // sorted by offset, capacity kMaxPending
  int n_pending_ = 0;
  MidiParser parser_;
  OutputLimiter limiter_;  // the safety stage (docs/safety.md), ceiling limiter_ceiling_db

  // Audio-thread state.
  float params_[static_cast<int>(Param::kCount)] = {};
  struct CCMap { int target = -1; float min = 0.f, max = 1.f; } cc_map_[128];
  float bend_ = 0.f;  // −1..1
  bool sustain_ = false;
  double lfo_phase_ = 0.0;
  float gain_ = 1.f, gain_target_ = 1.f, gain_coef_ = 0.f;
  uint64_t age_counter_ = 0, start_counter_ = 0;
  int held_[128] = {};  // legato note stack (notes, oldest first)
  int held_vel_[128] = {};
  int n_held_ = 0;

  // Published for other threads.
  std::atomic<float> shown_params_[static_cast<int>(Param::kCount)];
  std::atomic<int> st_active_{0};
  std::atomic<int64_t> st_dropped_{0}, st_midi_{0}, st_stolen_{0};
  std::atomic<float> st_peak_{0.f}, st_lgain_{1.f};
};

}  // namespace rt_synth::synth
