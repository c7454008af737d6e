#include "host/host_adapter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
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
    // delaySeconds() * host_rate = (P*T - 1) / (2P), reduced.
    const int64_t num = static_cast<int64_t>(up_.tablePhases()) * up_.tapsPerPhase() - 1, den = 2 * int64_t{up_.tablePhases()};
    const int64_t g = std::gcd(num, den);
    delay_num_ = num / g;
    delay_den_ = den / g;
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
  host_phase_.store(0, std::memory_order_relaxed);
  safety_.reset();
}

double HostAdapter::resamplingDelaySeconds() const noexcept {
  return resampling_ ? up_.delaySeconds() + down_.delaySeconds() : 0.0;
}

double HostAdapter::latencySeconds() const noexcept {
  const int el = engine_ ? engine_->latency() : 0;
  return resamplingDelaySeconds() + static_cast<double>(el) / engine_rate_;
}

int HostAdapter::engineOffset(int host_offset, bool afterReset) const noexcept {
  const int64_t o = std::clamp(host_offset, 0, kMaxEventOffset);
  if (!resampling_) return static_cast<int>(o);
  const int64_t L = up_.up(), M = up_.down();  // engine/host = L/M
  const int64_t r = afterReset ? 0 : host_phase_.load(std::memory_order_relaxed);  // J mod M
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };  // a >= 0, b > 0
  // E - S(J) with J = q*M + r: the q*L terms cancel. Bounds: r + o < 2^25; exact mode
  // L <= 2^12, den <= 2^13; interpolated mode den <= 2^10, L <= 2^24; num < 2^26: < 2^60.
  const int64_t e = ceil_div(((r + o) * delay_den_ + delay_num_) * L, delay_den_ * M);
  return static_cast<int>(e - ceil_div(r * L, M));
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
  host_phase_.store(static_cast<int>((host_phase_.load(std::memory_order_relaxed) + static_cast<int64_t>(n)) % up_.down()),
                    std::memory_order_relaxed);
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
