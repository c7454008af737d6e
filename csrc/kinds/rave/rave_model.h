// Streaming RAVE-style model (docs/rave.md, docs/core-rave.md): PQMF analysis → causal
// encoder → latent controls → causal decoder → PQMF synthesis, built from a native model file
// of kind "rave" with every hyperparameter and tensor shape checked.
//
//   encode  audio → latent controls u = P(mean − μ), one frame per R samples
//   decode  u → audio, R samples per latent frame (z = Pᵀu + μ)
//   process audio → audio (timbre transfer = forward): encode, u' = scale·u + offset per
//           control (atomics, settable from any thread), decode
//
// Block contract. Input is cut internally at the multiples of R: latent frame t is encoded
// in the call that contains input sample t·R, decoded at once into R samples that are held
// in a one-frame buffer, and played at their own sample indices t·R .. t·R + R − 1. So any
// block size works (1..max_block, and beyond), output never depends on how the input is cut,
// and the stream equals the offline model sample for sample: no buffering delay is added on
// top of the trained delay, latency() == latency_samples of the file (L = N−1 + (R_e−1)·M:
// the (R_e−1)·M term is the one-latent-frame buffering, already part of the training target).
//
// Real time: all memory is taken in prepare(); encode/decode/process do not allocate, lock,
// log or throw, flush denormals for their duration, and sanitise input (NaN → 0, ±Inf and
// huge values clamped) and output (non-finite → 0), so the state is never poisoned.
// encode, decode and process share the encoder/decoder state: use one of them per stream
// (or reset() in between).
//
// Pitch source (config().pitch_source, docs/core-rave.md "Pitch source"): a StreamingYin
// (the file's range and threshold, hop R) runs on the sanitised raw input (before input_gain)
// in process() and encode(); latent frame t is decoded with F[t] = the tracker's frame whose
// window ends at sample t·R − 1 (after reset: (f0_min, 0)), and the decode path renders the
// frame's R excitation samples (RavePitchSource), analyses them with a second PQMF analysis
// (same filters, own state) and hands the R_e band frames to the decoder's last stage.
// decodeWithPitch takes F[t] per frame from the caller; plain decode() on a pitched model uses
// the tracker's newest frame (what encode/process tracked last; (f0_min, 0) after reset, i.e.
// no excitation), the same for every frame of the call.
//
// Harmonic head (config().harmonics > 0, csrc/kinds/rave/rave_harmonic_head.h): runs on the frame's
// z (+ f0, periodicity, + loudness as the file says). Its loudness input (harmonic_loudness) is
// the mean square of the tracker's window of frame t (W samples ending at t·R − 1: the
// StreamingYin's running Σx², YinFrame::energy) in dB mapped by the file's loudness_floor_db and
// loudness_max (pitch_source.loudness_frames); decodeWithPitch may take it per frame instead.
// Its noise gains (harmonic_noise) are ramped linearly over the frame's R_e band frames from
// the previous frame's (0 after reset) and multiply the decoder's noise stream (the same
// counter noise: sample index j·M + k of band k, band frame j); the product adds to the bands.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "format/model_file.h"
#include "kinds/rave/rave_config.h"
#include "kinds/rave/rave_decoder.h"
#include "kinds/rave/rave_encoder.h"
#include "kinds/rave/rave_harmonic_head.h"
#include "kinds/rave/rave_pitch_source.h"
#include "kinds/rave/rave_pqmf.h"
#include "transfer/streaming_yin.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveModel {
 public:
  static constexpr float kMaxInput = 16.f;    // audio clamp (±24 dBFS)
  static constexpr float kMaxControl = 1e3f;  // latent control clamp

  static Error fromFile(const ModelFile& file, std::unique_ptr<RaveModel>& out) noexcept;
  static Error load(const std::string& path, std::unique_ptr<RaveModel>& out) noexcept;

  // Only the model's own sample rate (kInvalidArgument otherwise). max_block ≥ 1: the
  // largest n the host will pass (the model itself works per latent frame, so larger n
  // work too). Allocates; then reset().
  Error prepare(double sample_rate, int max_block) noexcept;
  void reset() noexcept;  // silence, sample counters to 0 (latent controls are kept)

  // audio in[n] → audio out[n] (in == out allowed). Before prepare(): silence. RT-safe.
  void process(const float* in, float* out, int n) noexcept;
  // Latent frames the next encode(n) will return.
  int encodeFrames(int n) const noexcept;
  // audio in[n] → u [D][m] (channel-major, row stride m = encodeFrames(n)); returns m.
  int encode(const float* in, int n, float* u) noexcept;
  // u [D][frames] (row stride frames) → out[frames·R]. RT-safe. With a pitch source: every
  // frame takes the tracker's newest (f0, periodicity) (trackedF0/trackedPeriodicity).
  void decode(const float* u, int frames, float* out) noexcept;
  // The same with the pitch source's input given per latent frame: f0 [frames] (Hz, clamped
  // to the file's range, NaN → f0_min) and periodicity [frames] (clamped to 0..1, NaN → 0).
  // Without a pitch source f0/periodicity are ignored (= decode). RT-safe.
  // loudness [frames]: the harmonic head's loudness input (0..loudness_max, NaN → 0), read only
  // when the head reads it; nullptr: the tracker's newest (trackedLoudness()).
  void decodeWithPitch(const float* u, const float* f0, const float* periodicity, int frames, float* out,
                       const float* loudness = nullptr) noexcept;

  bool hasPitchSource() const noexcept { return cfg_.pitch_source; }
  // The pitch tracker's newest complete frame ((f0_min, 0) after reset; (0, 0) without a
  // pitch source).
  float trackedF0() const noexcept { return cfg_.pitch_source ? yin_.frame().f0 : 0.f; }
  float trackedPeriodicity() const noexcept { return cfg_.pitch_source ? yin_.frame().periodicity : 0.f; }
  // The loudness feature of the tracker's newest frame (0 after reset and without a pitch source).
  float trackedLoudness() const noexcept { return cfg_.pitch_source ? loudnessOf(yin_.frame().energy) : 0.f; }
  // Whether the harmonic head reads the loudness (decodeWithPitch's loudness argument).
  bool headReadsLoudness() const noexcept { return cfg_.harmonics > 0 && cfg_.harmonic_loudness; }
  // The loudness feature of a window energy Σx² over the tracker's W samples:
  // clamp((10·log10(max(e, 0)/W + 1e-10) − floor)/(−floor), 0, loudness_max) in double.
  float loudnessOf(double energy) const noexcept;

  // Latent controls (thread-safe, lock-free): u'_i = scale_i·u_i + offset_i in forward.
  // Clamped to |offset| ≤ latent_offset_range·std_i and 0 ≤ scale ≤ latent_scale_max;
  // NaN is ignored. Returns false for a bad index.
  bool setLatentOffset(int i, float value) noexcept;
  bool setLatentScale(int i, float value) noexcept;
  float latentOffset(int i) const noexcept;
  float latentScale(int i) const noexcept;
  float latentStd(int i) const noexcept;

  int latency() const noexcept { return static_cast<int>(cfg_.latency_samples); }
  int ratio() const noexcept { return static_cast<int>(cfg_.ratio); }
  int latentSize() const noexcept { return cfg_.latent_size; }
  int sampleRate() const noexcept { return static_cast<int>(cfg_.sample_rate); }
  int maxBlock() const noexcept { return max_block_; }
  bool prepared() const noexcept { return prepared_; }
  const RaveConfig& config() const noexcept { return cfg_; }

 private:
  RaveModel() = default;
  // Encodes one chunk that does not cross a multiple of R; returns 0 or 1 latent frame (u_).
  int encodeChunk(const float* in, int n) noexcept;
  // u [D] → out[R]; f0/periodicity: the pitch source's F[t] (ignored without one).
  void decodeFrame(const float* u, float f0, float periodicity, float loudness, float* out) noexcept;

  RaveConfig cfg_;
  RavePqmfAnalysis analysis_;
  RavePqmfSynthesis synthesis_;
  RaveEncoder encoder_;
  RaveDecoder decoder_;
  AlignedBuffer<float> mean_pca_;  // latent_pca [D][D]
  AlignedBuffer<float> mu_, std_;  // latent_mean, latent_std [D]
  std::unique_ptr<std::atomic<float>[]> offset_, scale_;
  AlignedBuffer<float> x_, bands_, mean_, u_, z_, frame_;
  // pitch source
  StreamingYin yin_;
  RavePitchSource pitch_;
  RavePqmfAnalysis exc_analysis_;
  AlignedBuffer<float> exc_audio_, exc_bands_;  // [R], [M][R_e]
  // harmonic head (config().harmonics > 0): α [H] per frame, its audio [R] and PQMF bands
  RaveHarmonicHead head_;
  RavePqmfAnalysis harm_analysis_;
  AlignedBuffer<float> alpha_, harm_audio_, harm_bands_;
  AlignedBuffer<float> gains_, prev_gains_;  // harmonic_noise: this frame's and the previous noise gains [M]
  float frame_f0_ = 0.f, frame_per_ = 0.f;        // F[t] of the frame encodeChunk produced last
  float frame_loud_ = 0.f;                        // and its loudness feature
  uint64_t enc_samples_ = 0;  // samples the encoder has consumed
  uint64_t dec_frames_ = 0;   // latent frames decoded
  int max_block_ = 0;
  bool prepared_ = false;
};

}  // namespace rt_synth
