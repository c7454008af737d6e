// RaveEngine: the streaming RAVE model (csrc/kinds/rave/rave_model.h) as a host engine
// (docs/rave-engine.md): audio in → forward (timbre transfer) → audio out, with MIDI CCs
// steering the latent controls, at any host rate.
//
//   MIDI bytes / control calls ──(lock-free queue / atomics, any thread)──► process()
//   process: drain queue → MidiParser → CC map → latent offset/scale targets (atomics)
//            → the model's latent atomics (u' = scale·u + offset, read once per latent frame)
//            → RaveModel::process, behind a HostAdapter when the host rate ≠ the model's
//
// Default CC map (channel ignored; every CC value 0..127):
//   CC 16+i (i < latent_count, 16+i < 120)  offset of control i: 64 → 0, 0 → −range·std_i,
//                                           127 → +range·std_i (range = latent_offset_range)
//   CC 1 (mod wheel)                        global scale: 0 → 1 (as trained) … 127 → latent_scale_max
//   pitch bend                              added to the offset of control 0: ±range·std_0
//   CC 121 (reset all controllers)          offsets 0, scales 1, bend 0 (controls at rest)
//   CC 120 / 123 (all sound / notes off)    model state reset (silence, as after reset())
// Effective control i: offset = base_offset_i + bend (i = 0), scale = scale_i · global_scale,
// clamped by the model (|offset| ≤ range·std_i, 0 ≤ scale ≤ latent_scale_max).
// mapCC() changes the map (through the queue). setLatentOffset/Scale/GlobalScale set the
// same targets directly (atomics, any thread); a later CC on that control overrides them.
//
// Timing: queued events are applied at the start of the next process() call; the model
// reads its latent controls once per latent frame (R samples), so a CC takes effect within
// one block + one latent frame. latency() = model latency (+ resamplers off the model rate).
//
// Safety: the output ends in an OutputLimiter (docs/safety.md) at the model rate, and one
// more after the resampler when the host rate differs: finite, |y| <= the ceiling (0 dBFS
// unless setOutputCeilingDb raises it), bit for bit below ceiling − 1 dB.
// Real time: load()/prepare() allocate; process, pushMidi, set*, mapCC, requestReset and
// stats do not allocate, lock or throw (tests/csrc/test_rave_engine_rt.cpp counts).
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
#include "synth/event_queue.h"
#include "synth/midi_parser.h"
#include "util/error.h"

namespace rt_synth::rave {

struct RaveEngineStats {
  int64_t midi_events = 0;     // MIDI messages parsed
  int64_t cc_applied = 0;      // CCs that moved a latent control (mapped CCs + bend)
  int64_t events_dropped = 0;  // pushes refused by a full queue
  int64_t resets = 0;          // model resets by CC 120/123 or requestReset()
};

// One queued item: a chunk of raw MIDI bytes, a CC-map change or a reset request.
struct RaveEngineEvent {
  enum Kind : uint8_t { kMidi, kCCMap, kReset };
  uint8_t kind = kMidi;
  uint8_t len = 0;
  uint8_t bytes[14] = {};
  int16_t cc = 0;       // CC map: controller
  int8_t target = 0;    // CC map: RaveEngine::CCTarget
  int16_t index = 0;    // CC map: latent control
};

class RaveEngine : public StreamEngine {
 public:
  using CCTarget = LatentCCTarget;
  static constexpr CCTarget kNone = kCCNone, kOffset = kCCOffset, kScale = kCCScale, kGlobalScale = kCCGlobalScale;
  static constexpr int kFirstOffsetCC = LatentControls::kFirstOffsetCC;

  static Error fromFile(const ModelFile& file, std::unique_ptr<RaveEngine>& out) noexcept;
  static Error load(const std::string& path, std::unique_ptr<RaveEngine>& out) noexcept;

  // host_rate: any whole rate > 0 (the model's own = no resampling). max_block ≥ 1 (larger n
  // are split). Allocates; then reset().
  Error prepare(double host_rate, int max_block) noexcept;
  // Audio thread. in[n] (may be null = silence; may equal out), out[n], any n ≥ 0.
  void process(const float* in, float* out, int n) noexcept override;
  // Audio thread (or while process() is not running): model, resamplers and queue to silence;
  // latent controls are kept.
  void reset() noexcept;

  int latency() const noexcept override;  // host samples (model + resamplers)
  double latencySeconds() const noexcept;
  int maxBlock() const noexcept override { return max_block_; }

  // ---- any thread, lock-free ------------------------------------------------------------
  bool pushMidi(const uint8_t* bytes, int len) noexcept;
  bool mapCC(int cc, CCTarget target, int index = 0) noexcept;  // kNone unmaps
  bool requestReset() noexcept;
  // Control targets (model space, as RaveModel::setLatentOffset/Scale). false: bad index.
  bool setLatentOffset(int i, float value) noexcept;
  bool setLatentScale(int i, float value) noexcept;
  void setGlobalScale(float value) noexcept;
  // The safety stages' ceiling, dBFS (any thread; clamped to OutputLimiter's −24..+12).
  void setOutputCeilingDb(float db) noexcept {
    stream_.safety.setCeilingDb(db);
    adapter_.setOutputCeilingDb(db);
  }
  float outputCeilingDb() const noexcept { return stream_.safety.ceilingDb(); }
  float latentOffset(int i) const noexcept;  // target (base offset, without the bend)
  float latentScale(int i) const noexcept;
  float globalScale() const noexcept { return controls_.globalScale(); }
  float bendOffset() const noexcept { return bend_offset_.load(std::memory_order_relaxed); }
  // What the model uses (after the audio thread applied the targets, clamped).
  float effectiveOffset(int i) const noexcept { return model_->latentOffset(i); }
  float effectiveScale(int i) const noexcept { return model_->latentScale(i); }
  RaveEngineStats stats() const noexcept;

  int latentSize() const noexcept { return model_->latentSize(); }
  int latentCount() const noexcept { return model_->config().latent_count; }
  int ratio() const noexcept { return model_->ratio(); }
  int modelRate() const noexcept { return model_->sampleRate(); }
  int modelLatency() const noexcept { return model_->latency(); }
  int hostRate() const noexcept { return host_rate_; }
  bool prepared() const noexcept { return prepared_; }
  bool resampling() const noexcept { return resampling_; }
  double resamplingDelaySeconds() const noexcept { return resampling_ ? adapter_.resamplingDelaySeconds() : 0.0; }
  RaveModel& model() noexcept { return *model_; }
  const RaveModel& model() const noexcept { return *model_; }

 private:
  // RaveModel at its own rate, as the StreamEngine a HostAdapter drives.
  // It ends in the safety stage (the adapter adds one more after its resampler).
  struct ModelStream : StreamEngine {
    RaveModel* m = nullptr;
    OutputLimiter safety;
    void process(const float* in, float* out, int n) noexcept override {
      m->process(in, out, n);
      safety.process(out, n);
    }
    int latency() const noexcept override { return m->latency(); }
    int maxBlock() const noexcept override { return m->maxBlock(); }
  };
  using Queue = synth::EventQueue<RaveEngineEvent, 1024>;

  RaveEngine() = default;
  void drain() noexcept;
  void handleMidi(const synth::MidiEvent& e) noexcept;
  void applyControls() noexcept;  // targets → model atomics
  void resetControls() noexcept;

  std::unique_ptr<RaveModel> model_;
  ModelStream stream_;
  HostAdapter adapter_;
  std::unique_ptr<Queue> queue_;
  synth::MidiParser parser_;  // audio thread
  LatentControls controls_;   // targets (atomics) and the CC map (audio thread)
  std::atomic<float> bend_offset_{0.f};
  std::atomic<int64_t> midi_events_{0}, cc_applied_{0}, dropped_{0}, resets_{0};
  int host_rate_ = 48000, max_block_ = 0;
  bool resampling_ = false, prepared_ = false;
};

}  // namespace rt_synth::rave
