// DDSP streaming model, C++ side: zero heap allocations inside process() over ≥ 1000
// random-size blocks, finite output for NaN/Inf controls, block-size independence, the
// oscillator's recurrence error against exact sin() in double, and the time per 128-sample
// block. Usage: test_ddsp_model MODEL.rtsynth [--bench]
// Self-contained (own counting operator new) so it runs before/without a shared harness.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "dsp/harmonic_oscillator.h"
#include "kinds/ddsp/ddsp_model.h"

static std::atomic<long> g_allocs{0};
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

static int g_failures = 0;
#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                  \
      std::fprintf(stderr, "\n");                         \
      ++g_failures;                                       \
    }                                                     \
  } while (0)

using rt_synth::DDSPModel;

static void controls(std::vector<float>& f0, std::vector<float>& ld, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  f0.resize(n);
  ld.resize(n);
  for (int i = 0; i < n; ++i) {
    const double t = i / 48000.0;
    f0[i] = static_cast<float>(220.0 * std::pow(2.0, std::sin(2 * M_PI * 0.3 * t)));
    ld[i] = static_cast<float>(-30.0 + 25.0 * std::sin(2 * M_PI * 0.45 * t));
  }
  (void)u;
}

static void testAllocationsAndFinite(DDSPModel& m) {
  const int max_block = 4096;
  std::vector<float> f0, ld, out(max_block);
  controls(f0, ld, 48000 * 20, 1);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> bs(1, max_block);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
  // sprinkle bad values
  for (int i = 0; i < 20000; ++i) {
    const int k = static_cast<int>(u(rng) * (f0.size() - 1));
    (u(rng) < 0.5f ? f0 : ld)[k] = bad[i % 5];
  }
  m.reset(3);
  long allocs = 0;
  std::size_t pos = 0;
  bool finite = true;
  for (int b = 0; b < 1200; ++b) {
    int n = bs(rng);
    if (pos + n > f0.size()) pos = 0;
    const long before = g_allocs.load();
    m.process(f0.data() + pos, ld.data() + pos, out.data(), n);
    allocs += g_allocs.load() - before;
    for (int i = 0; i < n; ++i) finite = finite && std::isfinite(out[i]) && std::fabs(out[i]) < 10.f;
    pos += n;
  }
  CHECK(allocs == 0, "process() allocated %ld times over 1200 random-size blocks", allocs);
  CHECK(finite, "non-finite or huge output with NaN/Inf controls");
  std::printf("allocations in process over 1200 random blocks: %ld\n", allocs);
}

static void testBlockIndependence(DDSPModel& m) {
  const int n = 48000;
  std::vector<float> f0, ld;
  controls(f0, ld, n, 2);
  std::vector<float> ref(n), out(n);
  m.reset(11);
  for (int i = 0; i < n; i += 4096) m.process(f0.data() + i, ld.data() + i, ref.data() + i, std::min(4096, n - i));
  const int sizes[] = {1, 7, 64, 128, 1000, 191};
  for (int bsz : sizes) {
    m.reset(11);
    for (int i = 0; i < n; i += bsz) m.process(f0.data() + i, ld.data() + i, out.data() + i, std::min(bsz, n - i));
    CHECK(std::memcmp(ref.data(), out.data(), n * sizeof(float)) == 0, "block size %d differs", bsz);
  }
}

static void testOscillatorError() {
  // Recurrence vs exact sin(2π·frac(k·p)) in double, unit amplitudes on 64 partials.
  rt_synth::dsp::HarmonicOscillator osc;
  const int H = 192, K = 64, frames = 2500;
  osc.prepare(48000.0, H, K);
  std::vector<float> amps(K, 1.0f), out(H);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uf(20.0, 370.0);
  double p = 0.0, prev_f0 = 0.0, worst = 0.0, peak = 0.0;
  for (int i = 0; i < frames; ++i) {
    const double f0 = static_cast<float>(uf(rng));
    if (i == 0) prev_f0 = f0;
    osc.beginFrame(f0, amps.data());
    osc.render(out.data(), H);
    for (int j = 0; j < H; ++j) {
      const double fj = prev_f0 + (f0 - prev_f0) * (j + 1) / H;
      p += fj / 48000.0;
      p -= std::floor(p);
      double exact = 0.0;
      for (int k = 1; k <= K; ++k) {
        double kp = k * p;
        kp -= std::floor(kp);
        exact += (i == 0 ? (j + 1.0) / H : 1.0) * std::sin(2 * M_PI * kp);
      }
      worst = std::max(worst, std::fabs(out[j] - exact));
      peak = std::max(peak, std::fabs(exact));
    }
    prev_f0 = f0;
  }
  // Output is float32: rounding of |y| ≤ 64 alone is up to 64·2^-24 ≈ 3.8e-6.
  std::printf("oscillator max abs error (64 unit partials, peak %.1f, 10 s): %.3g\n", peak, worst);
  CHECK(worst < 8e-6, "oscillator error %g", worst);
}

static void bench(DDSPModel& m) {
  const int n = 128, blocks = 20000;
  std::vector<float> f0, ld, out(n);
  controls(f0, ld, n * blocks, 3);
  m.reset(0);
  std::vector<double> t(blocks);
  for (int b = 0; b < blocks; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    m.process(f0.data() + b * n, ld.data() + b * n, out.data(), n);
    t[b] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  }
  double sum = 0;
  for (double x : t) sum += x;
  std::sort(t.begin(), t.end());
  std::printf("128-sample block: mean %.1f us, median %.1f us, p99 %.1f us, max %.1f us "
              "(real time = %.0f us; RTF %.4f)\n",
              sum / blocks, t[blocks / 2], t[blocks * 99 / 100], t.back(), 128e6 / 48000.0,
              (sum / blocks) / (128e6 / 48000.0));
}

int main(int argc, char** argv) {
  testOscillatorError();
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.rtsynth [--bench]\n", argv[0]);
    return g_failures ? 1 : 0;
  }
  std::unique_ptr<DDSPModel> m;
  if (rt_synth::Error e = DDSPModel::load(argv[1], m)) {
    std::fprintf(stderr, "load failed: %s\n", e.message.c_str());
    return 1;
  }
  if (rt_synth::Error e = m->prepare(48000, 4096)) {
    std::fprintf(stderr, "prepare failed: %s\n", e.message.c_str());
    return 1;
  }
  testAllocationsAndFinite(*m);
  testBlockIndependence(*m);
  if (argc > 2 && std::strcmp(argv[2], "--bench") == 0) bench(*m);
  std::printf(g_failures ? "FAILED (%d)\n" : "OK\n", g_failures);
  return g_failures ? 1 : 0;
}
