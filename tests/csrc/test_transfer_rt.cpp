// Timbre transfer and host adaptation, real-time side: zero heap allocations inside process()
// (counted by the shared harness, alloc_counter.cpp) for Resampler, HostAdapter, StreamingYin,
// LoudnessMeter and - given a model file - TimbreTransfer alone and wrapped in a HostAdapter at
// 44.1 kHz, over >= 1000 random-size blocks with NaN/Inf/huge samples sprinkled in; the output
// stays finite; the HostAdapter never underruns. With --bench MODEL: time per 128-sample block.
// Usage: test_transfer_rt [MODEL.rtsynth [--bench]]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "alloc_counter.h"
#include "host/host_adapter.h"
#include "host/resampler.h"
#include "test_common.h"
#include "transfer/loudness_meter.h"
#include "transfer/streaming_yin.h"
#include "transfer/timbre_transfer.h"

using namespace rt_synth;

namespace {

// A 48 kHz engine with a known latency: out[n] = in[n - D].
class DelayEngine : public StreamEngine {
 public:
  explicit DelayEngine(int d) : ring_(d + 1, 0.f) {}
  void process(const float* in, float* out, int n) noexcept override {
    for (int i = 0; i < n; ++i) {
      ring_[pos_] = in[i];
      pos_ = (pos_ + 1) % static_cast<int>(ring_.size());
      out[i] = ring_[pos_];
    }
  }
  int latency() const noexcept override { return static_cast<int>(ring_.size()) - 1; }
  int maxBlock() const noexcept override { return 512; }

 private:
  std::vector<float> ring_;
  int pos_ = 0;
};

std::vector<float> testSignal(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(n);
  double ph = 0;
  for (int i = 0; i < n; ++i) {
    const double f = 150.0 * std::pow(4.0, (i % 96000) / 96000.0);
    ph += f / 48000.0;
    x[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * ph));
  }
  const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
  for (int i = 0; i < n / 500; ++i) x[static_cast<int>(u(rng) * (n - 1))] = bad[i % 5];
  return x;
}

template <typename Fn>
int64_t countBlocks(const std::vector<float>& x, std::vector<float>& out, int max_block, int blocks,
                    unsigned seed, bool& finite, Fn&& fn) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> bs(1, max_block);
  std::size_t pos = 0;
  int64_t allocs = 0;
  for (int b = 0; b < blocks; ++b) {
    const int n = bs(rng);
    if (pos + n > x.size()) pos = 0;
    const int64_t before = rt_test::allocation_count();
    fn(x.data() + pos, out.data(), n);
    allocs += rt_test::allocation_count() - before;
    for (int i = 0; i < n; ++i) finite = finite && std::isfinite(out[i]) && std::fabs(out[i]) < 1e6f;
    pos += n;
  }
  return allocs;
}

void testPieces() {
  const std::vector<float> x = testSignal(48000 * 10, 1);
  std::vector<float> out(8192);
  bool finite = true;
  Resampler r;
  CHECK(!r.prepare(44100, 48000), "resampler prepare");
  int64_t a = countBlocks(x, out, 4096, 1000, 2, finite, [&](const float* in, float* o, int n) {
    r.process(in, n, o);
  });
  CHECK(a == 0, "Resampler: %lld allocations in process", static_cast<long long>(a));
  StreamingYin y;
  LoudnessMeter l;
  CHECK(!y.prepare(48000, 192, 80, 1800, 0.15), "yin prepare");
  CHECK(!l.prepare(48000, 192, 1024), "loudness prepare");
  a = countBlocks(x, out, 4096, 1000, 3, finite, [&](const float* in, float* o, int n) {
    for (int i = 0; i < n; ++i) {
      o[i] = y.push(in[i]) ? y.frame().f0 : 0.f;
      if (l.push(in[i])) o[i] += l.loudnessDb() * 0.f;
    }
  });
  CHECK(a == 0, "StreamingYin/LoudnessMeter: %lld allocations", static_cast<long long>(a));
  for (int rate : {44100, 88200, 96000}) {
    DelayEngine eng(100);
    HostAdapter h;
    CHECK(!h.prepare(&eng, 48000, rate, 4096), "adapter prepare");
    a = countBlocks(x, out, 4096, 1000, 4, finite, [&](const float* in, float* o, int n) { h.process(in, o, n); });
    CHECK(a == 0, "HostAdapter at %d: %lld allocations", rate, static_cast<long long>(a));
    CHECK(h.underruns() == 0, "HostAdapter at %d: %lld underruns", rate, static_cast<long long>(h.underruns()));
  }
  CHECK(finite, "non-finite output from the pieces");
  std::printf("pieces: allocations in process over 1000 random blocks each: 0 expected, checked\n");
}

void testTransfer(const char* path, bool bench) {
  std::unique_ptr<TimbreTransfer> t;
  Error e = TimbreTransfer::load(path, t);
  CHECK(!e, "load: %s", e.message.c_str());
  if (e) return;
  CHECK(!t->prepare(48000, 4096), "prepare");
  const std::vector<float> x = testSignal(48000 * 20, 5);
  std::vector<float> out(8192);
  bool finite = true;
  t->setPitchShift(3.f);
  t->setDryWet(0.3f, 0.8f);
  int64_t a = countBlocks(x, out, 4096, 1200, 6, finite, [&](const float* in, float* o, int n) { t->process(in, o, n); });
  std::printf("TimbreTransfer 48 kHz: allocations in process over 1200 random blocks: %lld\n", static_cast<long long>(a));
  CHECK(a == 0, "TimbreTransfer allocated");
  HostAdapter h;
  CHECK(!h.prepare(t.get(), 48000, 44100, 4096), "adapter prepare");
  t->reset();
  a = countBlocks(x, out, 4096, 1200, 7, finite, [&](const float* in, float* o, int n) { h.process(in, o, n); });
  std::printf("TimbreTransfer + HostAdapter 44.1 kHz: allocations in process over 1200 random blocks: %lld\n",
              static_cast<long long>(a));
  CHECK(a == 0, "TimbreTransfer + HostAdapter allocated");
  CHECK(finite, "non-finite output");
  CHECK(h.underruns() == 0, "underruns");
  if (!bench) return;
  for (int rate : {48000, 44100}) {
    t->reset();
    HostAdapter hb;
    if (rate != 48000) CHECK(!hb.prepare(t.get(), 48000, rate, 128), "prepare");
    const int blocks = 20000;
    std::vector<double> us(blocks);
    std::size_t pos = 0;
    for (int b = 0; b < blocks; ++b) {
      if (pos + 128 > x.size()) pos = 0;
      auto t0 = std::chrono::steady_clock::now();
      if (rate == 48000) t->process(x.data() + pos, out.data(), 128);
      else hb.process(x.data() + pos, out.data(), 128);
      us[b] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      pos += 128;
    }
    double mean = 0;
    for (double v : us) mean += v;
    mean /= blocks;
    std::sort(us.begin(), us.end());
    std::printf("bench %d Hz, 128-sample blocks: mean %.1f us, median %.1f us, p99 %.1f us (budget %.0f us)\n", rate,
                mean, us[blocks / 2], us[blocks * 99 / 100], 128e6 / rate);
  }
}

}  // namespace

int main(int argc, char** argv) {
  testPieces();
  if (argc > 1) testTransfer(argv[1], argc > 2 && std::strcmp(argv[2], "--bench") == 0);
  return finish("test_transfer_rt");
}
