// Micro-benchmark of one streaming step of the core layers, portable vs AVX2+FMA kernels.
// Median / p99 over many single calls, state kept between calls, one thread.
// Usage: layers_bench [calls=20000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "layers/activations.h"
#include "layers/cached_conv1d.h"
#include "layers/gru.h"
#include "layers/kernels.h"
#include "layers/linear.h"
#include "util/denormal_guard.h"

using namespace rt_synth;
using Clock = std::chrono::steady_clock;

namespace {
std::mt19937 rng(1);
std::vector<float> randn(std::size_t n, float s) {
  std::normal_distribution<float> d(0.f, s);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <typename F>
void time_it(const char* name, int calls, F&& f) {
  for (int i = 0; i < calls / 10 + 10; ++i) f();  // warm-up
  std::vector<double> us(calls);
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    f();
    us[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  std::sort(us.begin(), us.end());
  std::printf("  %-30s median %7.2f us   p99 %7.2f us\n", name, us[calls / 2], us[calls * 99 / 100]);
}

void run(int calls) {
  DenormalGuard dg;
  for (auto [in, hid] : {std::pair{2, 128}, std::pair{2, 256}, std::pair{16, 512}}) {
    GRU g;
    auto wih = randn(3 * hid * in, 0.1f), whh = randn(3 * hid * hid, 0.05f), b = randn(3 * hid, 0.1f);
    g.set_weights(wih.data(), whh.data(), b.data(), b.data(), in, hid);
    g.prepare(8);
    auto x = randn(8 * in, 1.f);
    char name[64];
    std::snprintf(name, sizeof name, "GRU %d->%d", in, hid);
    time_it(name, calls, [&] { g.step(x.data(), nullptr, 1); });
    std::snprintf(name, sizeof name, "GRU %d->%d, 8 voices", in, hid);
    time_it(name, calls / 4, [&] { g.step(x.data(), nullptr, 8); });
  }
  {
    Linear l;
    auto w = randn(256 * 256, 0.05f), b = randn(256, 0.1f), x = randn(256, 1.f);
    std::vector<float> y(256);
    l.set_weights(w.data(), b.data(), 256, 256);
    time_it("Dense 256->256 + tanh", calls, [&] {
      l.forward(x.data(), y.data(), 1);
      apply_activation(Activation::kTanh, y.data(), 256);
    });
  }
  for (int d : {1, 8}) {
    CachedConv1d c;
    auto w = randn(64 * 64 * 3, 0.05f), b = randn(64, 0.1f), x = randn(64, 1.f);
    std::vector<float> y(64);
    c.set_weights(w.data(), b.data(), 64, 64, 3, 1, d);
    c.prepare(512);
    char name[64];
    std::snprintf(name, sizeof name, "Conv1D 64->64 k3 d%d, block 1", d);
    time_it(name, calls, [&] { c.process(x.data(), y.data(), 1); });
  }
  {
    CachedConv1d c;
    auto w = randn(64 * 64 * 3, 0.05f), b = randn(64, 0.1f), x = randn(64 * 64, 1.f);
    std::vector<float> y(64 * 64);
    c.set_weights(w.data(), b.data(), 64, 64, 3, 1, 8);
    c.prepare(512);
    time_it("Conv1D 64->64 k3 d8, block 64", calls / 4, [&] { c.process(x.data(), y.data(), 64); });
  }
}
}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 20000;
  const bool has_avx2 = kernels::set_isa(Isa::kAvx2Fma);
  for (Isa isa : {Isa::kPortable, Isa::kAvx2Fma}) {
    if (isa == Isa::kAvx2Fma && !has_avx2) break;
    kernels::set_isa(isa);
    std::printf("[%s kernels]\n", isa_name(isa));
    run(calls);
  }
  return 0;
}
