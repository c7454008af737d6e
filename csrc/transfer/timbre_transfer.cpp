#include "transfer/timbre_transfer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/model_file.h"
#include "util/denormal_guard.h"

namespace rt_synth {

namespace {
constexpr float kParamStep = 1.f / 480.f;  // dry/wet gains move at most 1.0 per 10 ms
constexpr float kGateAttack = 1.f / 64.f;  // gate opens in 64 samples (1.3 ms), closes in one hop
inline float approach(float v, float target, float step) {
  const float d = target - v;
  return d > step ? v + step : (d < -step ? v - step : target);
}
}  // namespace

Error TimbreTransfer::load(const std::string& path, std::unique_ptr<TimbreTransfer>& out,
                           const TransferAnalysis& analysis) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  std::unique_ptr<DDSPModel> model;
  if (Error e = DDSPModel::fromFile(file, model)) return e;
  const int fd = static_cast<int>(model->config().feature_delay_samples);  // range-checked by DDSPConfig
  try {
    out.reset(new TimbreTransfer(std::move(model), analysis, fd));
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "TimbreTransfer: out of memory");
  }
  return Error::none();
}

TimbreTransfer::TimbreTransfer(std::unique_ptr<DDSPModel> model, const TransferAnalysis& analysis,
                               int file_feature_delay) noexcept
    : model_(std::move(model)), analysis_(analysis) {
  const int fd = analysis.feature_delay >= 0 ? analysis.feature_delay : std::max(0, file_feature_delay);
  // Bounded so that latency() = feature_delay + hop cannot overflow; prepare() refuses a larger one.
  if (fd > static_cast<int>(DDSPConfig::kMaxFeatureDelay)) bad_feature_delay_ = fd;
  else feature_delay_ = fd;
  hop_ = model_ ? model_->hop() : 192;
}

Error TimbreTransfer::prepare(double sample_rate, int max_block) noexcept {
  prepared_ = false;
  if (!model_) return make_error(ErrorCode::kInvalidArgument, "TimbreTransfer: no model");
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "TimbreTransfer: max_block must be >= 1");
  if (bad_feature_delay_)
    return make_error(ErrorCode::kInvalidArgument, "TimbreTransfer: feature_delay " + std::to_string(bad_feature_delay_) +
                                                       " is outside its allowed range [0, " +
                                                       std::to_string(DDSPConfig::kMaxFeatureDelay) + "]");
  if (sample_rate != model_->sampleRate())
    return make_error(ErrorCode::kInvalidArgument,
                      "TimbreTransfer: runs at the model's rate (" + std::to_string(model_->sampleRate()) +
                      " Hz); wrap it in a HostAdapter for a host at " + std::to_string(sample_rate) + " Hz");
  const int chunk = std::min(max_block, 4096);
  if (Error e = model_->prepare(sample_rate, chunk)) return e;
  hop_ = model_->hop();
  if (Error e = yin_.prepare(sample_rate, hop_, analysis_.f0_min, analysis_.f0_max, analysis_.threshold)) return e;
  if (Error e = loud_.prepare(sample_rate, hop_, analysis_.loudness_n_fft)) return e;
  if (!f0_.allocate(chunk) || !ld_.allocate(chunk) || !gate_.allocate(chunk) || !wet_buf_.allocate(chunk) ||
      !dry_ring_.allocate(static_cast<std::size_t>(latency()) + 1))
    return make_error(ErrorCode::kTooLarge, "TimbreTransfer: out of memory");
  safety_.prepare(sample_rate);
  max_block_ = max_block;
  prepared_ = true;
  reset(seed_);
  return Error::none();
}

void TimbreTransfer::reset(uint64_t seed) noexcept {
  seed_ = seed;
  if (!prepared_) return;
  model_->reset(seed);
  yin_.reset();
  loud_.reset();
  dry_ring_.zero();
  dry_pos_ = 0;
  safety_.reset();
  f0_cur_ = static_cast<float>(analysis_.f0_min);
  ctrl_f0_ = f0_cur_;
  ctrl_ld_ = static_cast<float>(LoudnessMeter::kFloorDb);
  gate_target_ = gate_gain_ = 0.f;
  have_f0_ = gate_open_ = false;
  unvoiced_run_ = octave_run_ = 0;
  dry_gain_ = dry_.load(std::memory_order_relaxed);
  wet_gain_ = wet_.load(std::memory_order_relaxed);
  last_n_ = 0;
}

void TimbreTransfer::onFrame() noexcept {
  const YinFrame& fr = yin_.frame();
  const float ld = loud_.loudnessDb();
  const bool voiced = fr.voiced && ld >= blk_gate_db_;
  if (voiced) {
    unvoiced_run_ = 0;
    gate_open_ = true;
    // Octave-jump smoothing: a jump of ~k octaves (within 100 cents) is taken only once it
    // has lasted octave_hold frames; other changes are taken at once.
    const float f = fr.f0;
    if (!have_f0_ || !blk_octave_) {
      f0_cur_ = f;
      octave_run_ = 0;
    } else {
      const float ar = std::fabs(std::log2(f / f0_cur_));
      const float k = std::round(ar);
      if (k >= 1.f && std::fabs(ar - k) < 1.f / 12.f) {
        if (++octave_run_ >= blk_octave_hold_) {
          f0_cur_ = f;
          octave_run_ = 0;
        }
      } else {
        f0_cur_ = f;
        octave_run_ = 0;
      }
    }
    have_f0_ = true;
  } else if (++unvoiced_run_ > blk_gate_hold_) {
    gate_open_ = false;
    have_f0_ = false;  // the next note's first voiced frame is taken as it is
    octave_run_ = 0;
  }
  ctrl_f0_ = f0_cur_ * blk_shift_ratio_;  // held through unvoiced frames: no pitch glitches
  ctrl_ld_ = ld + blk_offset_;
  gate_target_ = (!blk_gate_ || gate_open_) ? 1.f : 0.f;
}

void TimbreTransfer::process(const float* in, float* out, int n) noexcept {
  DenormalGuard guard;
  if (!prepared_) {
    std::memset(out, 0, sizeof(float) * std::max(0, n));
    return;
  }
  blk_shift_ratio_ = std::exp2(std::clamp(pitch_shift_.load(std::memory_order_relaxed), -48.f, 48.f) / 12.f);
  if (!std::isfinite(blk_shift_ratio_)) blk_shift_ratio_ = 1.f;
  float g = std::clamp(input_gain_db_.load(std::memory_order_relaxed), -120.f, 60.f);
  blk_gain_ = std::isfinite(g) ? std::pow(10.f, g / 20.f) : 1.f;
  float off = loudness_offset_db_.load(std::memory_order_relaxed);
  blk_offset_ = std::isfinite(off) ? std::clamp(off, -120.f, 120.f) : 0.f;
  float gdb = gate_threshold_db_.load(std::memory_order_relaxed);
  blk_gate_db_ = std::isfinite(gdb) ? gdb : -70.f;
  blk_gate_ = gate_enabled_.load(std::memory_order_relaxed);
  blk_gate_hold_ = std::max(0, gate_hold_.load(std::memory_order_relaxed));
  blk_octave_ = octave_enabled_.load(std::memory_order_relaxed);
  blk_octave_hold_ = std::max(1, octave_hold_.load(std::memory_order_relaxed));
  const int chunk = model_->maxBlock();
  for (int done = 0; done < n;) {
    const int k = std::min(chunk, n - done);
    processChunk(in + done, out + done, k);
    done += k;
  }
  safety_.process(out, n);  // last stage: |y| <= ceiling (docs/safety.md)
}

void TimbreTransfer::processChunk(const float* in, float* out, int n) noexcept {
  float* f0 = f0_.data();
  float* ld = ld_.data();
  float* gt = gate_.data();
  float* dly = wet_buf_.data();  // the dry input delayed by latency()
  float* ring = dry_ring_.data();
  const int ring_n = static_cast<int>(dry_ring_.size());
  // 1. Analysis, sample by sample; the control of sample s is the last completed frame.
  for (int i = 0; i < n; ++i) {
    float x = in[i];
    if (!std::isfinite(x)) x = 0.f;
    x = std::clamp(x, -4.f, 4.f);
    const float xa = x * blk_gain_;
    const bool a = yin_.push(xa);
    const bool b = loud_.push(xa);
    if (a && b) onFrame();
    f0[i] = ctrl_f0_;
    ld[i] = ctrl_ld_;
    gt[i] = gate_target_;
    // The dry ring holds the last latency()+1 inputs; the delayed sample is read in step 3.
    ring[dry_pos_] = x;
    dly[i] = ring[dry_pos_ + 1 == ring_n ? 0 : dry_pos_ + 1];  // x[s - latency()]
    dry_pos_ = dry_pos_ + 1 == ring_n ? 0 : dry_pos_ + 1;
  }
  // 2. The model on the control streams.
  float* y = out;
  // out may alias in: every input was consumed above (the delayed dry samples are in dly[]).
  const float dry_t = dry_.load(std::memory_order_relaxed), wet_t = wet_.load(std::memory_order_relaxed);
  const float dry_target = std::isfinite(dry_t) ? std::clamp(dry_t, 0.f, 4.f) : 0.f;
  const float wet_target = std::isfinite(wet_t) ? std::clamp(wet_t, 0.f, 4.f) : 1.f;
  model_->process(f0, ld, y, n);
  // 3. Gate, mix.
  for (int i = 0; i < n; ++i) {
    gate_gain_ = approach(gate_gain_, gt[i], gt[i] > gate_gain_ ? kGateAttack : 1.f / hop_);
    dry_gain_ = approach(dry_gain_, dry_target, kParamStep);
    wet_gain_ = approach(wet_gain_, wet_target, kParamStep);
    float v = dry_gain_ * dly[i] + wet_gain_ * gate_gain_ * y[i];
    out[i] = std::isfinite(v) ? v : 0.f;
  }
  last_n_ = n;
}

}  // namespace rt_synth
