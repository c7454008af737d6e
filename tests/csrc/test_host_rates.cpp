// The rate contract (docs/safety.md): every whole host rate from 1 000 to 768 000 Hz works
// through HostAdapter, odd ratios included (47 999 and 48 001 Hz against a 48 kHz engine use
// the resampler's interpolated table). For rates 1000, 22050, 44100, 47999, 48001, 96000,
// 192000, 768000 and block sizes 1, 7, 64, 4096 around a 48 kHz engine of known delay:
//   - the output is the same sample stream for every block size, finite and |y| <= 1;
//   - an impulse comes out at latency() host samples, within 2 samples;
//   - a sine keeps its frequency (a least-squares fit at the input frequency leaves < -50 dB).
// Plus the resampler alone at odd ratios: output count = input count x ratio (no drift).
// Plus event timing (HostAdapter::engineOffset): for every host sample t, the engine sample an
// event at t lands on (engine samples given so far + the offset) is the same for block sizes
// 1, 7, 64, 333, 4096, and it is the first engine sample at or after t + the input
// resampler's delay (so MIDI, like audio, reaches the output latency() samples later).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "host/host_adapter.h"
#include "host/resampler.h"
#include "test_common.h"

using namespace rt_synth;

namespace {

constexpr int kEngineRate = 48000;

// A 48 kHz engine with a known latency: out[n] = in[n - D].
class DelayEngine : public StreamEngine {
 public:
  explicit DelayEngine(int d) : ring_(d + 1, 0.f) {}
  void process(const float* in, float* out, int n) noexcept override {
    for (int i = 0; i < n; ++i) {
      ring_[pos_] = in ? in[i] : 0.f;
      pos_ = (pos_ + 1) % static_cast<int>(ring_.size());
      out[i] = ring_[pos_];
    }
  }
  int latency() const noexcept override { return static_cast<int>(ring_.size()) - 1; }
  int maxBlock() const noexcept override { return 512; }
  void reset() { std::fill(ring_.begin(), ring_.end(), 0.f), pos_ = 0; }

 private:
  std::vector<float> ring_;
  int pos_ = 0;
};

std::vector<float> run(int rate, const std::vector<float>& x, int block, int& latency) {
  DelayEngine eng(100);
  HostAdapter a;
  std::vector<float> y(x.size());
  if (Error e = a.prepare(&eng, kEngineRate, rate, 4096)) {
    CHECK(false, "prepare at %d Hz: %s", rate, e.message.c_str());
    return y;
  }
  latency = a.latency();
  for (std::size_t i = 0; i < x.size(); i += block) {
    const int n = static_cast<int>(std::min<std::size_t>(block, x.size() - i));
    a.process(x.data() + i, y.data() + i, n);
  }
  return y;
}

// Relative residual power after a least-squares fit of sin/cos at f over y[a, b).
double sineResidual(const std::vector<float>& y, int a, int b, double f, int rate) {
  double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0, yy = 0;
  for (int i = a; i < b; ++i) {
    const double w = 2 * M_PI * f * i / rate, s = std::sin(w), c = std::cos(w), v = y[i];
    ss += s * s, cc += c * c, sc += s * c, ys += v * s, yc += v * c, yy += v * v;
  }
  const double det = ss * cc - sc * sc;
  const double ka = (ys * cc - yc * sc) / det, kb = (yc * ss - ys * sc) / det;
  const double fit = ka * ys + kb * yc;  // projected energy
  return (yy - fit) / std::max(yy, 1e-30);
}

void testRate(int rate) {
  const int n = rate / 8 + 4000;
  // Impulse test signal.
  std::vector<float> imp(n, 0.f);
  const int t0 = n / 3;
  imp[t0] = 0.5f;
  int latency = -1;
  const std::vector<float> ref = run(rate, imp, 4096, latency);
  for (int block : {1, 7, 64}) {
    int l2 = -1;
    const std::vector<float> y = run(rate, imp, block, l2);
    CHECK(y == ref && l2 == latency, "%d Hz: block %d gives another stream than block 4096", rate, block);
  }
  bool ok = true;
  int peak = 0;
  for (int i = 0; i < n; ++i) {
    ok = ok && std::isfinite(ref[i]) && std::fabs(ref[i]) <= 1.f;
    if (std::fabs(ref[i]) > std::fabs(ref[peak])) peak = i;
  }
  CHECK(ok, "%d Hz: output not finite or above 1", rate);
  CHECK(std::abs(peak - t0 - latency) <= 2, "%d Hz: impulse at +%d, latency() says %d", rate, peak - t0, latency);
  // Sine: frequency kept.
  const double f = 0.1 * std::min(rate, kEngineRate);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * f * i / rate));
  int l3 = -1;
  const std::vector<float> y = run(rate, x, 4096, l3);
  const int a = std::min(n / 2, latency + 64);
  const double res = sineResidual(y, a, n, f, rate);
  CHECK(res < 1e-5, "%d Hz: a %.0f Hz sine comes out with %.1f dB residual (frequency changed?)", rate, f,
        10 * std::log10(res + 1e-30));
  std::printf("%6d Hz: latency %4d (impulse at +%d), sine residual %.1f dB\n", rate, latency, peak - t0,
              10 * std::log10(res + 1e-30));
}

void testResamplerCounts() {
  for (auto [rin, rout] : {std::pair{47999, 48000}, {48000, 47999}, {48001, 48000}, {48000, 48001},
                           {44100, 48000}, {768000, 48000}, {1000, 48000}, {48000, 1000}}) {
    Resampler r;
    CHECK(!r.prepare(rin, rout), "prepare %d -> %d", rin, rout);
    std::vector<float> in(rin, 0.1f), out(r.maxOutput(rin));
    long long total = 0;
    for (int rep = 0; rep < 3; ++rep)  // 3 s in blocks of 1 s
      total += r.process(in.data(), rin, out.data());
    CHECK(total == 3LL * rout, "%d -> %d: %lld outputs for 3 s, expected %d", rin, rout, total, 3 * rout);
  }
}

// Counts the engine samples it is given (the engine-side clock).
class CountingEngine : public StreamEngine {
 public:
  void process(const float*, float* out, int n) noexcept override {
    std::fill(out, out + n, 0.f);
    count += n;
  }
  int latency() const noexcept override { return 0; }
  int maxBlock() const noexcept override { return 8192; }
  long long count = 0;
};

void testEventOffsets(int rate) {
  constexpr int kN = 20000;  // host samples (the 44.1 kHz phase wraps 136 times)
  Resampler up;
  CHECK(!up.prepare(rate, kEngineRate), "prepare %d Hz", rate);
  const double d = rate == kEngineRate ? 0.0 : up.delaySeconds() * rate;  // input resampler's delay, host samples
  std::vector<long long> ref;
  for (int block : {1, 7, 64, 333, 4096}) {
    CountingEngine eng;
    HostAdapter a;
    if (Error e = a.prepare(&eng, kEngineRate, rate, 4096)) {
      CHECK(false, "prepare at %d Hz: %s", rate, e.message.c_str());
      return;
    }
    std::vector<long long> at(kN);
    std::vector<float> y(block);
    for (int j = 0; j < kN; j += block) {
      const int n = std::min(block, kN - j);
      for (int o = 0; o < n; ++o) at[j + o] = eng.count + a.engineOffset(o);
      a.process(nullptr, y.data(), n);
    }
    if (ref.empty()) {
      ref = at;
      int bad = 0;
      for (int t = 0; t < kN; ++t) {  // E-1 < (t + d) * engine/host <= E, with float slack
        const double x = (t + d) * kEngineRate / rate;
        bad += !(static_cast<double>(at[t]) >= x - 1e-6 && static_cast<double>(at[t]) - 1 < x + 1e-6);
      }
      CHECK(bad == 0, "%d Hz: %d of %d events not on the first engine sample after t + delay", rate, bad, kN);
      continue;
    }
    int diff = 0, first = -1;
    for (int t = 0; t < kN; ++t)
      if (at[t] != ref[t]) diff += 1, first = first < 0 ? t : first;
    CHECK(diff == 0, "%d Hz: block %d puts %d events elsewhere than block 1 (first at host sample %d)", rate, block,
          diff, first);
  }
}

}  // namespace

int main() {
  for (int rate : {1000, 22050, 44100, 47999, 48000, 48001, 88200, 96000, 768000}) testEventOffsets(rate);
  for (int rate : {1000, 22050, 44100, 47999, 48001, 96000, 192000, 768000}) testRate(rate);
  testResamplerCounts();
  return finish("test_host_rates");
}
