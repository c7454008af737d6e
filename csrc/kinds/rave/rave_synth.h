// RaveSynth: a pitched RAVE-style model (docs/rave.md §11) played from MIDI, monophonic
// (docs/rave-engine.md "Playing from MIDI"). The decoder alone runs: per latent frame
// (R samples) it gets latent controls u, the pitch source's f0 and periodicity
// (RaveModel::decodeWithPitch), and a per-sample gain envelope shapes what comes out.
//
//   MIDI bytes / set* calls ──(lock-free queue / atomics, any thread)──► process()
//   process: drain queue → MidiParser → note stack (last-note priority, legato) and CCs
//            every latent frame t (at sample t·R):  f0 = note (+ glide, + bend) in Hz,
//                periodicity = 1 while a note sounds or its release runs (0 after),
//                u_i = scale_i·global·preset_i + offset_i   → decodeWithPitch → R samples
//                (a harmonic head that reads the input's loudness gets the note's: below)
//            every sample: y = decoded · envelope · velocity/volume/expression gain
//            → OutputLimiter (and behind a HostAdapter when host rate ≠ model rate)
//
// Timing. A note event changes the pitch/periodicity of the first latent frame decoded at
// or after it (0..R−1 samples later); the decode path then needs the pitch gate to open
// within that frame (gate_low·R samples) and the PQMF pair (N−1 samples) before the note's
// sound is there. The gain envelope's gate events (note-on, note-off) are therefore delayed
// by a constant E = R + round(gate_low·R) + (N−1) model samples (591 = 12.3 ms for
// violin-rave), the worst case, so every note sounds exactly E samples after its event
// whatever the block size or frame phase: latency() = E (off the model rate: E in host samples
// + the engine→host resampler's delay; events enter the model at once, no input resampler).
//
// Controls (channel ignored):
//   note on/off       monophonic, last-note priority; a note while another is held is legato
//                     (no envelope retrigger, glide of glide_s, velocity gain re-targeted
//                     smoothly); releasing the top note returns to the previous held one
//   velocity          gain (v/127)²
//   CC 7 / CC 11      volume / expression: gain (v/127)² each (both 127 after reset)
//   CC 5              legato glide time (v/127)²·1 s (default 30 ms)
//   pitch bend        ± bend range (2 semitones; RPN 0 changes it)
//   CC 16+i, CC 1     latent offset i / global scale: LatentControls' map (as RaveEngine)
//   CC 121            controllers to rest (latent targets, bend, expression)
//   CC 123 / CC 120   all notes off (release) / all sound off (silence now)
// Loudness (a harmonic head with harmonic_loudness, docs/rave.md §13): there is no input to
// measure, so the note's level stands in for it, on the same scale as the tracker's feature:
//   level_dB = kNoteLoudnessDb + 20·log10((velocity/127)²·volume·expression)   (mean-square dB)
//   loudness = clamp((level_dB − floor)/(−floor), 0, loudness_max)   (the file's floor and max)
// while the frame is voiced (periodicity 1), 0 otherwise; the velocity is the newest note's.
// kNoteLoudnessDb = −20 dB (feature 0.8 at floor −100 dB): a full-velocity note at full volume
// plays like an input at −20 dBFS RMS, the level the training audio is normalised around.
// Real time: load()/prepare() allocate; process, pushMidi, set*, mapCC, requestReset and
// stats do not allocate, lock or throw (tests/csrc/test_rave_synth_rt.cpp counts).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "dsp/output_limiter.h"
#include "format/model_file.h"
#include "host/host_adapter.h"
#include "host/stream_engine.h"
#include "kinds/rave/rave_model.h"
#include "kinds/rave/latent_controls.h"
#include "kinds/rave/rave_engine.h"
#include "synth/event_queue.h"
#include "synth/midi_parser.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth::rave {

struct RaveSynthStats {
  int64_t midi_events = 0;     // MIDI messages parsed
  int64_t notes_on = 0;        // note-on messages (velocity > 0)
  int64_t cc_applied = 0;      // CCs that moved a latent control
  int64_t events_dropped = 0;  // pushes refused by a full queue
  int64_t resets = 0;          // CC 120 / requestReset()
};

class RaveSynth : public StreamEngine {
 public:
  static constexpr float kDefaultAttack = 0.005f;   // s
  static constexpr float kDefaultRelease = 0.15f;   // s
  static constexpr float kDefaultGlide = 0.03f;     // s (legato)
  static constexpr float kDefaultGainDb = 12.f;     // the training mean plays at about −33 dB RMS
  static constexpr float kDefaultBendRange = 2.f;   // semitones
  static constexpr float kNoteLoudnessDb = -20.f;   // loudness of a full-velocity note (above)

  // kUnsupported when the model has no pitch source (nothing to play a note with).
  static Error fromFile(const ModelFile& file, std::unique_ptr<RaveSynth>& out) noexcept;
  static Error load(const std::string& path, std::unique_ptr<RaveSynth>& out) noexcept;

  Error prepare(double host_rate, int max_block) noexcept;  // allocates; then reset()
  // Audio thread. `in` is ignored (may be null); out[n], any n ≥ 0.
  void process(const float* in, float* out, int n) noexcept override;
  // Silence, no note held, sample clock to 0 (latent targets and parameters are kept).
  void reset() noexcept;

  int latency() const noexcept override;  // host samples
  double latencySeconds() const noexcept;
  int modelLatency() const noexcept { return env_delay_; }  // E, model samples
  int maxBlock() const noexcept override { return max_block_; }

  // ---- any thread, lock-free ------------------------------------------------------------
  bool pushMidi(const uint8_t* bytes, int len) noexcept;
  bool mapCC(int cc, LatentCCTarget target, int index = 0) noexcept;
  bool requestReset() noexcept;
  bool setLatentOffset(int i, float value) noexcept { return controls_.setOffset(i, value); }
  bool setLatentScale(int i, float value) noexcept { return controls_.setScale(i, value); }
  void setGlobalScale(float value) noexcept { controls_.setGlobalScale(value); }
  bool setPreset(int i, float value) noexcept;  // the latent point a note plays (default 0 = mean)
  float latentOffset(int i) const noexcept { return controls_.offset(i); }
  float latentScale(int i) const noexcept { return controls_.scale(i); }
  float globalScale() const noexcept { return controls_.globalScale(); }
  float preset(int i) const noexcept;
  // Parameters (NaN ignored, clamped): attack 0.5 ms..2 s, release 5 ms..10 s, glide 0..2 s,
  // gain −60..+24 dB, bend range 0..24 semitones.
  void setAttack(float s) noexcept;
  void setRelease(float s) noexcept;
  void setGlide(float s) noexcept;
  void setGainDb(float db) noexcept;
  void setBendRange(float semitones) noexcept;
  float attack() const noexcept { return attack_s_.load(std::memory_order_relaxed); }
  float release() const noexcept { return release_s_.load(std::memory_order_relaxed); }
  float glide() const noexcept { return glide_s_.load(std::memory_order_relaxed); }
  float gainDb() const noexcept { return gain_db_.load(std::memory_order_relaxed); }
  float bendRange() const noexcept { return bend_range_.load(std::memory_order_relaxed); }
  void setOutputCeilingDb(float db) noexcept {
    stream_.safety.setCeilingDb(db);
    adapter_.setOutputCeilingDb(db);
  }
  float outputCeilingDb() const noexcept { return stream_.safety.ceilingDb(); }
  RaveSynthStats stats() const noexcept;
  int currentNote() const noexcept { return note_now_.load(std::memory_order_relaxed); }  // −1: none
  float lastF0() const noexcept { return f0_now_.load(std::memory_order_relaxed); }        // Hz, last frame

  int latentSize() const noexcept { return model_->latentSize(); }
  int latentCount() const noexcept { return model_->config().latent_count; }
  int ratio() const noexcept { return model_->ratio(); }
  int modelRate() const noexcept { return model_->sampleRate(); }
  int hostRate() const noexcept { return host_rate_; }
  bool prepared() const noexcept { return prepared_; }
  bool resampling() const noexcept { return resampling_; }
  const RaveModel& model() const noexcept { return *model_; }

 private:
  struct SynthStream : StreamEngine {
    RaveSynth* s = nullptr;
    OutputLimiter safety;
    int max_block = 4096;
    void process(const float*, float* out, int n) noexcept override {
      s->render(out, n);
      safety.process(out, n);
    }
    int latency() const noexcept override { return s->env_delay_; }
    int maxBlock() const noexcept override { return max_block; }
  };
  using Queue = synth::EventQueue<RaveEngineEvent, 1024>;
  // An envelope event, applied E samples after its MIDI event.
  struct GateEvent {
    uint64_t time = 0;
    uint8_t type = 0;  // kGateOn, kGateOff, kRetarget
    float velocity_gain = 0.f;
  };
  enum : uint8_t { kGateOn = 1, kGateOff = 2, kRetarget = 3 };
  static constexpr int kGateQueue = 256;

  RaveSynth() = default;
  void drain() noexcept;
  void handleMidi(const synth::MidiEvent& e) noexcept;
  void noteOn(int note, int velocity) noexcept;
  void noteOff(int note) noexcept;
  void allNotesOff() noexcept;
  void allSoundOff() noexcept;
  void schedule(uint8_t type, float velocity_gain) noexcept;
  void applyGate(const GateEvent& g) noexcept;
  void decodeFrame() noexcept;                // at a multiple of R: the next frame into frame_
  void render(float* out, int n) noexcept;    // model rate, no safety stage
  void updateLevel() noexcept;

  std::unique_ptr<RaveModel> model_;
  SynthStream stream_;
  HostAdapter adapter_;
  std::unique_ptr<Queue> queue_;
  synth::MidiParser parser_;
  LatentControls controls_;
  std::unique_ptr<std::atomic<float>[]> preset_;
  std::atomic<float> attack_s_{kDefaultAttack}, release_s_{kDefaultRelease}, glide_s_{kDefaultGlide},
      gain_db_{kDefaultGainDb}, bend_range_{kDefaultBendRange};
  std::atomic<int64_t> midi_events_{0}, notes_on_{0}, cc_applied_{0}, dropped_{0}, resets_{0};
  std::atomic<int> note_now_{-1};
  std::atomic<float> f0_now_{0.f};

  // ---- audio thread state ----
  AlignedBuffer<float> frame_, u_;  // [R], [D]
  uint64_t clock_ = 0;              // model samples rendered since reset()
  uint8_t held_[128] = {};          // held notes, oldest first
  uint8_t held_vel_[128] = {};
  int held_count_ = 0;
  float pitch_ = 69.f, pitch_target_ = 69.f, glide_step_ = 0.f;  // semitones (MIDI note numbers)
  int glide_frames_ = 0;
  float bend_ = 0.f;  // −1..1
  float volume_ = 1.f, expression_ = 1.f, velocity_gain_ = 0.f;
  float note_gain_ = 0.f;  // (velocity/127)² of the newest note-on, at once (the loudness input)
  GateEvent gates_[kGateQueue];
  int gate_head_ = 0, gate_count_ = 0;
  float env_ = 0.f, env_step_ = 0.f;  // envelope 0..1, per-sample increment (+ attack, − release)
  float amp_ = 0.f, amp_target_ = 0.f, amp_coef_ = 0.f;  // smoothed gain (velocity·volume·expression·gain)
  int env_delay_ = 0;
  int host_rate_ = 48000, max_block_ = 0;
  bool resampling_ = false, prepared_ = false;
};

}  // namespace rt_synth::rave
