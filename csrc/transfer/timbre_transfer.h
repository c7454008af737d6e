// Timbre transfer in the core: live input audio -> causal features (StreamingYin f0, A-weighted
// loudness) -> voicing gate, octave-jump smoothing, pitch shift, loudness offset -> per-sample
// control streams -> DDSPModel -> wet; dry = the input delayed by latency(); out = dry*d + wet*w.
// Contract and measurements: docs/timbre-transfer.md.
//
// Timing: feature frame i (windows ending at sample (i+1)*H) completes on sample (i+1)*H - 1
// and is the control the model reads at its next frame boundary (i+1)*H: the tightest causal
// alignment. The model was trained with its target delayed by feature_delay samples (file key
// rt_synth.feature_delay_samples, 512 = loudness window centre) against features of windows
// ending at the end of the SAME frame; live, those features arrive one hop later. So the output
// lags the input by
//     latency() = feature_delay + H      (704 samples = 14.67 ms at 48 kHz, H = 192)
// which is what the onset and pitch-step tests measure (within one hop: frame quantisation).
//
// Real time: everything allocated in prepare(); process() does not allocate, lock or throw,
// runs under DenormalGuard; NaN/Inf -> 0 and clip to +-4 on the way in, so state never sees a
// bad number; the output ends in an OutputLimiter (docs/safety.md): finite, |y| <= its ceiling
// (0 dBFS unless setOutputCeilingDb raises it), untouched below ceiling - 1 dB. Parameter setters are atomics: call them from any thread;
// a block reads each once.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "dsp/output_limiter.h"
#include "host/stream_engine.h"
#include "kinds/ddsp/ddsp_model.h"
#include "transfer/loudness_meter.h"
#include "transfer/streaming_yin.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

// Analysis settings, fixed at prepare().
struct TransferAnalysis {
  double f0_min = 80.0;     // live YIN range: W = tau_max = ceil(SR/f0_min) (600 at 48 kHz)
  double f0_max = 1800.0;   // tau_min = floor(SR/f0_max)
  double threshold = 0.15;  // YIN absolute threshold (as the dataset's)
  int loudness_n_fft = 1024;  // as the dataset's
  int feature_delay = -1;   // -1: from the model file (rt_synth.feature_delay_samples)
};

class TimbreTransfer : public StreamEngine {
 public:
  static Error load(const std::string& path, std::unique_ptr<TimbreTransfer>& out,
                    const TransferAnalysis& analysis = {}) noexcept;
  // Takes the model; feature_delay from the caller (the file's key when loaded with load()).
  TimbreTransfer(std::unique_ptr<DDSPModel> model, const TransferAnalysis& analysis, int file_feature_delay) noexcept;

  // Only the model's rate (48 kHz); other host rates go through HostAdapter. Allocates; reset().
  Error prepare(double sample_rate, int max_block) noexcept;
  void reset(uint64_t seed = 0) noexcept;
  // in[n] -> out[n], n in 1..max_block (larger n are split). in == out allowed. Real-time safe.
  void process(const float* in, float* out, int n) noexcept override;
  int latency() const noexcept override { return feature_delay_ + hop_; }
  int maxBlock() const noexcept override { return max_block_; }

  // Parameters: any thread, any time; take effect at the next block.
  void setPitchShift(float semitones) noexcept { pitch_shift_.store(semitones, std::memory_order_relaxed); }
  void setInputGainDb(float db) noexcept { input_gain_db_.store(db, std::memory_order_relaxed); }
  void setLoudnessOffsetDb(float db) noexcept { loudness_offset_db_.store(db, std::memory_order_relaxed); }
  void setDryWet(float dry, float wet) noexcept {
    dry_.store(dry, std::memory_order_relaxed);
    wet_.store(wet, std::memory_order_relaxed);
  }
  void setGate(bool enabled, float threshold_db, int hold_frames) noexcept {
    gate_enabled_.store(enabled, std::memory_order_relaxed);
    gate_threshold_db_.store(threshold_db, std::memory_order_relaxed);
    gate_hold_.store(hold_frames, std::memory_order_relaxed);
  }
  // The safety stage's ceiling, dBFS (any thread; clamped to OutputLimiter's −24..+12).
  void setOutputCeilingDb(float db) noexcept { safety_.setCeilingDb(db); }
  float outputCeilingDb() const noexcept { return safety_.ceilingDb(); }
  void setOctaveSmoothing(bool enabled, int hold_frames) noexcept {
    octave_enabled_.store(enabled, std::memory_order_relaxed);
    octave_hold_.store(hold_frames, std::memory_order_relaxed);
  }

  // The per-sample controls of the last block (for tests and meters; read after process()).
  const float* lastF0() const noexcept { return f0_.data(); }
  const float* lastLoudness() const noexcept { return ld_.data(); }
  const float* lastGate() const noexcept { return gate_.data(); }
  int lastBlock() const noexcept { return last_n_; }

  const DDSPModel& model() const noexcept { return *model_; }
  int sampleRate() const noexcept { return model_->sampleRate(); }
  int hop() const noexcept { return hop_; }
  int featureDelay() const noexcept { return feature_delay_; }
  const StreamingYin& yin() const noexcept { return yin_; }
  const TransferAnalysis& analysis() const noexcept { return analysis_; }

 private:
  void processChunk(const float* in, float* out, int n) noexcept;
  void onFrame() noexcept;

  std::unique_ptr<DDSPModel> model_;
  TransferAnalysis analysis_;
  StreamingYin yin_;
  LoudnessMeter loud_;
  int hop_ = 192, feature_delay_ = 0, max_block_ = 0, last_n_ = 0;
  int bad_feature_delay_ = 0;  // a requested feature delay over DDSPConfig::kMaxFeatureDelay (prepare refuses)
  bool prepared_ = false;
  uint64_t seed_ = 0;

  // Per-block scratch.
  AlignedBuffer<float> f0_, ld_, gate_, wet_buf_;
  AlignedBuffer<float> dry_ring_;  // latency() + 1 samples
  OutputLimiter safety_;
  int dry_pos_ = 0;

  // Control state (audio thread).
  float f0_cur_ = 0.f, ctrl_f0_ = 0.f, ctrl_ld_ = -100.f, gate_target_ = 0.f, gate_gain_ = 0.f;
  float dry_gain_ = 0.f, wet_gain_ = 1.f;
  bool have_f0_ = false, gate_open_ = false;
  int unvoiced_run_ = 0, octave_run_ = 0;
  // Parameters read once per block.
  float blk_shift_ratio_ = 1.f, blk_gain_ = 1.f, blk_offset_ = 0.f, blk_gate_db_ = -70.f;
  bool blk_gate_ = true, blk_octave_ = true;
  int blk_gate_hold_ = 2, blk_octave_hold_ = 3;

  std::atomic<float> pitch_shift_{0.f}, input_gain_db_{0.f}, loudness_offset_db_{0.f};
  std::atomic<float> dry_{0.f}, wet_{1.f}, gate_threshold_db_{-70.f};
  std::atomic<bool> gate_enabled_{true}, octave_enabled_{true};
  std::atomic<int> gate_hold_{2}, octave_hold_{3};
};

}  // namespace rt_synth
