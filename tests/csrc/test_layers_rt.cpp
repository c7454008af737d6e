// Real-time properties of every layer in csrc/layers:
//  * zero heap allocations inside forward/step/process after set-up, over >= 1000 blocks of
//    random sizes 1..max_block (counted by alloc_counter.cpp),
//  * streaming == offline, bit for bit, for the cached convolutions at random block sizes,
//  * portable and AVX2 kernels agree; tanh/sigmoid error bounds; DenormalGuard restores the
//    caller's MXCSR; NaN input never poisons GRU state.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "alloc_counter.h"
#include "layers/activations.h"
#include "layers/cached_conv1d.h"
#include "layers/cached_conv_transpose1d.h"
#include "layers/gru.h"
#include "layers/kernels.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "test_common.h"
#include "util/denormal_guard.h"

using namespace rt_synth;

namespace {
std::mt19937 rng(12345);
std::vector<float> randn(std::size_t n, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
int rand_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
constexpr int kBlocks = 1200;

void test_linear_layernorm_gru_no_alloc() {
  const int in = 37, out = 70, maxb = 16;
  auto w = randn(out * in), b = randn(out);
  Linear lin;
  CHECK(lin.set_weights(w.data(), b.data(), out, in).ok(), "Linear set_weights");
  LayerNorm ln;
  auto g = randn(out), be = randn(out);
  CHECK(ln.set_weights(g.data(), be.data(), out).ok(), "LayerNorm set_weights");
  const int G = 48;
  auto wih = randn(3 * G * out, 0.2f), whh = randn(3 * G * G, 0.2f), bih = randn(3 * G), bhh = randn(3 * G);
  GRU gru;
  CHECK(gru.set_weights(wih.data(), whh.data(), bih.data(), bhh.data(), out, G).ok(), "GRU set_weights");
  CHECK(gru.prepare(maxb).ok(), "GRU prepare");
  auto x = randn(maxb * in);
  std::vector<float> y(maxb * out), h(maxb * G);
  const int64_t before = rt_test::allocation_count();
  for (int i = 0; i < kBlocks; ++i) {
    const int batch = rand_int(1, maxb);
    DenormalGuard dg;
    lin.forward(x.data(), y.data(), batch);
    ln.forward(y.data(), y.data(), batch);
    apply_activation(Activation::kTanh, y.data(), batch * out);
    apply_activation(Activation::kLeakyRelu, y.data(), batch * out, 0.1f);
    gru.step(y.data(), (i & 1) ? h.data() : nullptr, batch);
    if (i % 97 == 0) gru.reset_voice(rand_int(0, maxb - 1));
  }
  const int64_t n = rt_test::allocation_count() - before;
  std::printf("Linear+LayerNorm+activations+GRU: allocations over %d random blocks: %lld\n", kBlocks, (long long)n);
  CHECK(n == 0, "allocations in Linear/LayerNorm/GRU: %lld", (long long)n);
}

// Streams T frames through `a` in one block and through `b` in random blocks; the outputs
// must be identical bit for bit; counts allocations in b's process calls.
template <typename Conv>
void stream_vs_offline(Conv& a, Conv& b, int cin, int cout, int T, int max_block, const char* what) {
  auto x = randn(static_cast<std::size_t>(cin) * T);
  const int m_total = a.output_frames(T);
  std::vector<float> off(static_cast<std::size_t>(cout) * m_total);
  CHECK(a.process(x.data(), off.data(), T) == m_total, "%s: offline frame count", what);
  std::vector<float> blk(static_cast<std::size_t>(cin) * max_block), ob(static_cast<std::size_t>(cout) * max_block * 16);
  std::vector<float> str(static_cast<std::size_t>(cout) * m_total);
  int pos = 0, mpos = 0, blocks = 0;
  int64_t allocs = 0;
  while (pos < T) {
    const int n = std::min(T - pos, rand_int(0, 3) == 0 ? 1 : rand_int(1, max_block));
    for (int c = 0; c < cin; ++c) std::memcpy(&blk[static_cast<std::size_t>(c) * n], &x[static_cast<std::size_t>(c) * T + pos], sizeof(float) * n);
    const int expect = b.output_frames(n);
    const int64_t before = rt_test::allocation_count();
    int m;
    {
      DenormalGuard dg;
      m = b.process(blk.data(), ob.data(), n);
    }
    allocs += rt_test::allocation_count() - before;
    CHECK(m == expect, "%s: output_frames(%d)=%d but process returned %d", what, n, expect, m);
    for (int o = 0; o < cout; ++o)
      for (int t = 0; t < m && mpos + t < m_total; ++t)
        str[static_cast<std::size_t>(o) * m_total + mpos + t] = ob[static_cast<std::size_t>(o) * m + t];
    pos += n;
    mpos += m;
    ++blocks;
  }
  CHECK(mpos == m_total, "%s: streamed %d frames, offline %d", what, mpos, m_total);
  float maxdiff = 0.f;
  for (std::size_t i = 0; i < off.size(); ++i) maxdiff = std::max(maxdiff, std::fabs(off[i] - str[i]));
  CHECK(maxdiff == 0.f, "%s: streaming differs from offline by %g", what, maxdiff);
  CHECK(allocs == 0, "%s: %lld allocations in process", what, (long long)allocs);
  std::printf("%s: %d blocks, %d output frames, max |stream-offline| = %g, allocations = %lld\n", what, blocks,
              m_total, maxdiff, (long long)allocs);
}

void test_convs() {
  struct C { int cin, cout, k, s, d; };
  for (C c : {C{3, 5, 3, 1, 1}, C{8, 8, 3, 1, 8}, C{4, 6, 5, 2, 3}, C{16, 16, 7, 4, 1}, C{2, 3, 4, 3, 2}}) {
    auto w = randn(static_cast<std::size_t>(c.cout) * c.cin * c.k), b = randn(c.cout);
    const int T = 20000, max_block = 37;  // ~1400 random blocks
    CachedConv1d a, s;
    CHECK(a.set_weights(w.data(), b.data(), c.cout, c.cin, c.k, c.s, c.d).ok() && a.prepare(T).ok(), "conv setup");
    CHECK(s.set_weights(w.data(), b.data(), c.cout, c.cin, c.k, c.s, c.d).ok() && s.prepare(max_block).ok(), "conv setup");
    char name[128];
    std::snprintf(name, sizeof name, "CachedConv1d %d->%d k%d s%d d%d", c.cin, c.cout, c.k, c.s, c.d);
    stream_vs_offline(a, s, c.cin, c.cout, T, max_block, name);
  }
  struct TC { int cin, cout, k, s; };
  for (TC c : {TC{4, 3, 4, 2}, TC{6, 2, 7, 3}, TC{8, 8, 16, 8}, TC{3, 3, 2, 4}, TC{5, 4, 3, 1}}) {
    auto w = randn(static_cast<std::size_t>(c.cout) * c.cin * c.k), b = randn(c.cout);
    const int T = 16000, max_block = 29;  // ~1200 random blocks
    CachedConvTranspose1d a, s;
    CHECK(a.set_weights(w.data(), b.data(), c.cin, c.cout, c.k, c.s).ok() && a.prepare(T).ok(), "convT setup");
    CHECK(s.set_weights(w.data(), b.data(), c.cin, c.cout, c.k, c.s).ok() && s.prepare(max_block).ok(), "convT setup");
    char name[128];
    std::snprintf(name, sizeof name, "CachedConvTranspose1d %d->%d k%d s%d", c.cin, c.cout, c.k, c.s);
    stream_vs_offline(a, s, c.cin, c.cout, T, max_block, name);
  }
}

void test_kernels_agree() {
  if (!kernels::avx2::compiled() || !cpu_has_avx2_fma()) {
    std::printf("kernels: AVX2+FMA not available here, portable only\n");
    return;
  }
  float worst = 0.f;
  for (int trial = 0; trial < 200; ++trial) {
    const int out = rand_int(1, 200), in = rand_int(1, 150), batch = rand_int(0, 33);
    auto w = randn(static_cast<std::size_t>(out) * in), b = randn(out), x = randn(static_cast<std::size_t>(batch + 1) * in);
    PackedMatrix m;
    CHECK(m.pack(w.data(), b.data(), out, in), "pack");
    std::vector<float> y0(static_cast<std::size_t>(batch + 1) * out, 7.f), y1 = y0;
    kernels::portable::gemm(m, x.data(), in, y0.data(), out, batch);
    kernels::avx2::gemm(m, x.data(), in, y1.data(), out, batch);
    for (std::size_t i = 0; i < y0.size(); ++i) {
      // Reference in double for the tolerance scale.
      worst = std::max(worst, std::fabs(y0[i] - y1[i]) / (1.f + std::fabs(y0[i])));
    }
    // Rows past `batch` untouched.
    for (int o = 0; o < out; ++o) CHECK(y1[static_cast<std::size_t>(batch) * out + o] == 7.f, "gemm wrote past batch");
  }
  std::printf("kernels: portable vs AVX2 max relative difference %g\n", worst);
  CHECK(worst < 1e-5f, "portable and AVX2 GEMM disagree: %g", worst);

  // A stack of > 4 rows runs in L1-sized input chunks with partial sums through y: the same
  // additions in the same order as one row alone, so bit-identical to row-by-row products.
  for (int trial = 0; trial < 60; ++trial) {
    const int out = rand_int(1, 300), in = rand_int(1, 700), batch = rand_int(5, 16);
    auto w = randn(static_cast<std::size_t>(out) * in), b = randn(out), x = randn(static_cast<std::size_t>(batch) * in);
    PackedMatrix m;
    CHECK(m.pack(w.data(), b.data(), out, in), "pack");
    std::vector<float> stacked(static_cast<std::size_t>(batch) * out), rows(stacked.size());
    kernels::avx2::gemm(m, x.data(), in, stacked.data(), out, batch);
    for (int r = 0; r < batch; ++r)
      kernels::avx2::gemm(m, x.data() + static_cast<std::size_t>(r) * in, in, rows.data() + static_cast<std::size_t>(r) * out, out, 1);
    CHECK(std::memcmp(stacked.data(), rows.data(), stacked.size() * sizeof(float)) == 0,
          "stacked AVX2 GEMM (out %d, in %d, batch %d) differs from row-by-row", out, in, batch);
  }
}

void test_activation_error() {
  double et = 0, es = 0;
  std::vector<float> x(200001), t, s;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -20.f + 40.f * i / (x.size() - 1);
  for (int isa = 0; isa < 2; ++isa) {
    t = x;
    s = x;
    if (isa == 0) {
      kernels::portable::tanh_inplace(t.data(), (int)t.size());
      kernels::portable::sigmoid_inplace(s.data(), (int)s.size());
    } else {
      kernels::tanh_inplace(t.data(), (int)t.size());
      kernels::sigmoid_inplace(s.data(), (int)s.size());
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      et = std::max(et, std::fabs(t[i] - std::tanh((double)x[i])));
      es = std::max(es, std::fabs(s[i] - 1.0 / (1.0 + std::exp(-(double)x[i]))));
    }
  }
  std::printf("activations: max |tanh err| %.3g, max |sigmoid err| %.3g\n", et, es);
  CHECK(et < 5e-7 && es < 5e-7, "activation error too large: tanh %g sigmoid %g", et, es);
}

void test_denormal_guard() {
#if defined(RT_SYNTH_HAS_MXCSR)
  const unsigned before = _mm_getcsr();
  {
    DenormalGuard g;
    CHECK((_mm_getcsr() & 0x8040) == 0x8040, "FTZ/DAZ not set inside guard");
    volatile float tiny = 1e-38f;
    volatile float r = tiny * 1e-5f;
    CHECK(r == 0.f, "denormal not flushed");
  }
  CHECK(_mm_getcsr() == before, "MXCSR not restored");
#endif
}

void test_gru_nan() {
  const int G = 16;
  auto wih = randn(3 * G * 2), whh = randn(3 * G * G), bih = randn(3 * G), bhh = randn(3 * G);
  GRU gru;
  CHECK(gru.set_weights(wih.data(), whh.data(), bih.data(), bhh.data(), 2, G).ok() && gru.prepare(2).ok(), "gru");
  float bad[4] = {NAN, INFINITY, -INFINITY, 1e30f};
  for (int i = 0; i < 5; ++i) gru.step(bad, nullptr, 2);
  float ok[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  for (int i = 0; i < 5; ++i) gru.step(ok, nullptr, 2);
  for (int i = 0; i < 2 * G; ++i) CHECK(std::isfinite(gru.hidden()[i]) && std::fabs(gru.hidden()[i]) <= 1.f, "GRU state poisoned");
}
}  // namespace

// The counter must see both operator new and the C allocators the core library calls.
void test_counter_works() {
  int64_t c0 = rt_test::allocation_count();
  auto* v = new std::vector<float>(10);
  delete v;
  CHECK(rt_test::allocation_count() > c0, "operator new not counted");
  c0 = rt_test::allocation_count();
  AlignedBuffer<float> buf;
  buf.allocate(100);  // aligned_alloc inside the core's header, called from here
  PackedMatrix m;
  float w[6] = {0};
  m.pack(w, nullptr, 2, 3);  // aligned_alloc inside librt_synth_core
  CHECK(rt_test::allocation_count() >= c0 + 3, "C allocations not counted (%lld)",
        (long long)(rt_test::allocation_count() - c0));
}

int main() {
  test_counter_works();
  std::printf("kernel path: %s\n", isa_name(kernels::active_isa()));
  for (int isa = 0; isa < 2; ++isa) {
    if (isa == 1 && !kernels::set_isa(Isa::kAvx2Fma)) break;
    if (isa == 0) kernels::set_isa(Isa::kPortable);
    std::printf("--- %s ---\n", isa_name(kernels::active_isa()));
    test_linear_layernorm_gru_no_alloc();
    test_convs();
    test_gru_nan();
  }
  test_kernels_agree();
  test_activation_error();
  test_denormal_guard();
  return finish("test_layers_rt");
}
