// The interface a HostAdapter drives: a mono audio engine at a fixed sample rate that
// processes any block size 1..maxBlock() in place of time (in[n] -> out[n]) and reports its
// algorithmic latency in its own samples. TimbreTransfer implements it; a synth Engine can too.
#pragma once

namespace rt_synth {

class StreamEngine {
 public:
  virtual ~StreamEngine() = default;
  // Real-time safe; n in 1..maxBlock(). `in` may be null for engines without an input.
  virtual void process(const float* in, float* out, int n) noexcept = 0;
  virtual int latency() const noexcept = 0;  // samples at the engine's rate
  virtual int maxBlock() const noexcept = 0;
};

}  // namespace rt_synth
