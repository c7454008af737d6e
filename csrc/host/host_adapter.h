// HostAdapter: runs a StreamEngine that works at its own rate (48 kHz for the shipped models)
// for a host at another rate (44.1, 88.2, 96 kHz, ...) and any block size.
//
//   host in --Resampler(host->engine)--> engine.process --Resampler(engine->host)--> FIFO --> host out
//
// Both resamplers are causal and emit each output as soon as its last input arrives, so after
// host sample j has been pushed, host output samples 0..j exist: the FIFO never underruns, no
// pre-fill is needed, and the output is the same sample stream for every block size (tested
// with 1, 7, 64, 512, 4096). The engine is called in chunks of at most its maxBlock().
//
// Latency (host samples): latencySeconds()*host_rate, rounded, where
//   latencySeconds() = in.delaySeconds() + engine.latency()/engine_rate + out.delaySeconds().
// At the engine's own rate the adapter is a pass-through (no resampling, no added delay).
// Safety: when resampling, the host output goes through an OutputLimiter (docs/safety.md),
// the last stage of the path: the engine's own stage bounds its output, but the windowed-sinc
// engine→host resampler can overshoot it (Gibbs ringing on clipped or square-like signals).
// Below the limiter's threshold (ceiling − 1 dB) it passes samples bit for bit; no latency.
// Event time (MIDI). Engine sample m sits at host time m*M/L (host/engine rate = M/L,
// reduced), and after J host samples the engine has been given exactly S(J) = ceil(J*L/M)
// samples (the input resampler emits output m when host sample floor(m*M/L) arrives). An
// event is placed as if it were a host input sample: the one at host time t = J + o (o: its
// offset in the next host block) goes to engine sample E = ceil((t + d)*L/M), d = the input
// resampler's delay in host samples (exactly (P*T-1)/(2P), a fraction), and engineOffset(o)
// = E - S(J), counted from the start of the engine's next process() call. So MIDI reaches
// the output latency() host samples later, like the input does (within one engine sample:
// the ceil), and E depends on t alone, never on how the host cuts its blocks. All integer
// arithmetic on J mod M (exact for any run length; no float rounding at block edges).
// Real time: everything allocated in prepare(); process() does not allocate.
#pragma once
#include <atomic>
#include <cstdint>

#include "dsp/output_limiter.h"
#include "host/resampler.h"
#include "host/stream_engine.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class HostAdapter {
 public:
  // engine must outlive the adapter and be prepared at engine_rate already. Allocates.
  Error prepare(StreamEngine* engine, int engine_rate, int host_rate, int max_host_block) noexcept;
  void reset() noexcept;  // resamplers and FIFO to silence (reset the engine yourself)
  // in may be null (silence in). n in 1..maxBlock(); larger n are split. Real-time safe.
  void process(const float* in, float* out, int n) noexcept;
  // Engine-rate offset, from the start of the engine's next process() call, of the event at
  // host_offset in the next host block (see the header; clamped to 0..kMaxEventOffset). Any
  // thread, lock-free; the identity when not resampling. afterReset: as if reset() ran first
  // (for a caller that knows the adapter will be reset before its next block).
  static constexpr int kMaxEventOffset = 1 << 24;  // host samples (keeps the maths in int64)
  int engineOffset(int host_offset, bool afterReset = false) const noexcept;

  int latency() const noexcept;           // host samples, rounded
  double latencySeconds() const noexcept;
  double resamplingDelaySeconds() const noexcept;  // in + out resamplers only
  // The engine→host resampler alone: what an engine without audio input (a synth whose events
  // are applied at the start of the call) sees between its output and the host's.
  double outputDelaySeconds() const noexcept { return resampling_ ? down_.delaySeconds() : 0.0; }
  bool resampling() const noexcept { return resampling_; }
  int hostRate() const noexcept { return host_rate_; }
  int engineRate() const noexcept { return engine_rate_; }
  int maxBlock() const noexcept { return max_block_; }
  int64_t underruns() const noexcept { return underruns_; }  // 0 by construction (tested)
  // The safety stage's ceiling (any thread; clamped to OutputLimiter's range).
  void setOutputCeilingDb(float db) noexcept { safety_.setCeilingDb(db); }
  float outputCeilingDb() const noexcept { return safety_.ceilingDb(); }

 private:
  void runEngine(const float* in, float* out, int n) noexcept;
  void processChunk(const float* in, float* out, int n) noexcept;

  StreamEngine* engine_ = nullptr;
  int engine_rate_ = 48000, host_rate_ = 48000, max_block_ = 0;
  bool resampling_ = false;
  Resampler up_, down_;  // host->engine, engine->host
  OutputLimiter safety_;  // after down_ (resampling only)
  AlignedBuffer<float> zeros_, eng_in_, eng_out_, fifo_;
  int fifo_size_ = 0, fifo_count_ = 0;
  int64_t underruns_ = 0;
  std::atomic<int> host_phase_{0};  // host samples processed since reset(), mod up_.down()
  int64_t delay_num_ = 0, delay_den_ = 1;  // input resampler's delay in host samples, exactly
};

}  // namespace rt_synth
