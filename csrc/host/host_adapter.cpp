#include "host/host_adapter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "util/denormal_guard.h"

namespace rt_synth {

Error HostAdapter::prepare(StreamEngine* engine, int engine_rate, int host_rate, int max_host_block) noexcept {
  engine_ = nullptr;
  if (!engine || engine_rate <= 0 || host_rate <= 0 || max_host_block < 1 || engine->maxBlock() < 1)
    return make_error(ErrorCode::kInvalidArgument, "HostAdapter: need an engine (prepared), rates > 0, max block >= 1");
  engine_rate_ = engine_rate;
  host_rate_ = host_rate;
  max_block_ = max_host_block;
  resampling_ = engine_rate != host_rate;
  if (resampling_) {
    if (Error e = up_.prepare(host_rate, engine_rate)) return e;
    if (Error e = down_.prepare(engine_rate, host_rate)) return e;
  }
  const int eng_max = resampling_ ? up_.maxOutput(max_host_block) : max_host_block;
  const int out_max = resampling_ ? down_.maxOutput(eng_max) : eng_max;
  fifo_size_ = max_host_block + out_max + 16;
  if (!zeros_.allocate(max_host_block) || !eng_in_.allocate(eng_max) || !eng_out_.allocate(eng_max) ||
      !fifo_.allocate(fifo_size_))
    return make_error(ErrorCode::kTooLarge, "HostAdapter: out of memory");
  safety_.prepare(host_rate);
  engine_ = engine;
  reset();
  return Error::none();
}

void HostAdapter::reset() noexcept {
  up_.reset();
  down_.reset();
  fifo_.zero();
  fifo_count_ = 0;
  underruns_ = 0;
  safety_.reset();
}

double HostAdapter::resamplingDelaySeconds() const noexcept {
  return resampling_ ? up_.delaySeconds() + down_.delaySeconds() : 0.0;
}

double HostAdapter::latencySeconds() const noexcept {
  const int el = engine_ ? engine_->latency() : 0;
  return resamplingDelaySeconds() + static_cast<double>(el) / engine_rate_;
}

int HostAdapter::latency() const noexcept {
  if (!resampling_) return engine_ ? engine_->latency() : 0;
  return static_cast<int>(std::lround(latencySeconds() * host_rate_));
}

void HostAdapter::runEngine(const float* in, float* out, int n) noexcept {
  const int mb = engine_->maxBlock();
  for (int done = 0; done < n;) {
    const int k = std::min(mb, n - done);
    engine_->process(in + done, out + done, k);
    done += k;
  }
}

void HostAdapter::processChunk(const float* in, float* out, int n) noexcept {
  if (!in) in = zeros_.data();
  if (!resampling_) {
    runEngine(in, out, n);
    return;
  }
  const int k = up_.process(in, n, eng_in_.data());
  if (k > 0) runEngine(eng_in_.data(), eng_out_.data(), k);
  // Append the engine output, resampled, to the FIFO (a linear buffer: what is left after a
  // block is at most a couple of samples, moved to the front below).
  float* f = fifo_.data();
  fifo_count_ += down_.process(eng_out_.data(), k, f + fifo_count_);
  const int have = std::min(fifo_count_, n);
  std::memcpy(out, f, sizeof(float) * have);
  if (have < n) {  // cannot happen (causal chain, see header); keep the stream aligned anyway
    std::memset(out + have, 0, sizeof(float) * (n - have));
    ++underruns_;
  }
  fifo_count_ -= have;
  if (fifo_count_ > 0) std::memmove(f, f + have, sizeof(float) * fifo_count_);
  safety_.process(out, n);
}

void HostAdapter::process(const float* in, float* out, int n) noexcept {
  DenormalGuard guard;
  if (!engine_) {
    std::memset(out, 0, sizeof(float) * std::max(0, n));
    return;
  }
  for (int done = 0; done < n;) {
    const int k = std::min(max_block_, n - done);
    processChunk(in ? in + done : nullptr, out + done, k);
    done += k;
  }
}

}  // namespace rt_synth
