// Tile shapes of the AVX2 GEMM against each other, on the DDSP base matrices, with the
// kernel's own tiles (csrc/layers/kernels_avx2_tiles.inl), interleaved call by call so that
// machine noise hits every shape alike; plus an fp16-weight variant of the 1-, 3- and 4-row
// tiles (F16C conversion in the inner loop) to see whether halving the weight bytes pays.
// Median µs of `calls` calls per shape. Usage: gemm_tiles_bench [calls=1500]
// Figures: docs/core-layers.md ("Tile shapes"). x86-64 with AVX2+FMA+F16C only.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "layers/kernels.h"
#include "util/cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace rt_synth {
namespace kernels {
namespace {
#define RT_KERNEL_TARGET __attribute__((target("avx2,fma,f16c")))
#include "layers/kernels_avx2_tiles.inl"

// The same loop as tile<R, V> with the weights stored as fp16.
template <int R, int V>
RT_KERNEL_TARGET void tile_f16(const uint16_t* w, int ld, int in, const float* bias, const float* x,
                               int ldx, float* y, int ldy) {
  __m256 acc[R][V];
  for (int v = 0; v < V; ++v)
    for (int r = 0; r < R; ++r) acc[r][v] = _mm256_load_ps(bias + 8 * v);
  const uint16_t* wp = w;
  for (int j = 0; j < in; ++j, wp += ld) {
    __m256 xb[R];
    for (int r = 0; r < R; ++r) xb[r] = _mm256_broadcast_ss(x + static_cast<std::size_t>(r) * ldx + j);
    for (int v = 0; v < V; ++v) {
      const __m256 wv = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(wp + 8 * v)));
      for (int r = 0; r < R; ++r) acc[r][v] = _mm256_fmadd_ps(wv, xb[r], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + static_cast<std::size_t>(r) * ldy + 8 * v, acc[r][v]);
}
template <int R, int V>
void f16_rows(const uint16_t* w, const PackedMatrix& m, const float* x, float* y) {
  for (int o = 0; o + 8 * V <= m.ld(); o += 8 * V)
    tile_f16<R, V>(w + o, m.ld(), m.in(), m.bias() + o, x, m.in(), y + o, m.ld());
}
template <int R, int V>
void rows(const PackedMatrix& m, const float* x, float* y) { row_group<R, V>(m, x, m.in(), y, m.ld()); }
RT_KERNEL_TARGET void to_f16(const float* src, uint16_t* dst, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    _mm_store_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), 0));
}
#undef RT_KERNEL_TARGET
}  // namespace
}  // namespace kernels
}  // namespace rt_synth

using namespace rt_synth;
using Fn = void (*)(const uint16_t*, const PackedMatrix&, const float*, float*);

int main(int argc, char** argv) {
  if (!cpu_has_avx2_fma() || !__builtin_cpu_supports("f16c")) {
    std::printf("gemm_tiles_bench: needs AVX2+FMA+F16C\n");
    return 0;
  }
  const int calls = argc > 1 ? std::atoi(argv[1]) : 1500;
  std::mt19937 g(1);
  std::normal_distribution<float> d;
  struct Shape { int out, in; const char* what; } shapes[] = {
      {1152, 512, "GRU W_ih"}, {1152, 384, "GRU W_hh"}, {256, 896, "mlp_o.0"}, {130, 256, "head"}};
  struct Variant { const char* name; Fn fn; } variants[] = {
      {"1x8", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<1, 8>(m, x, y); }},
      {"2x4", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<2, 4>(m, x, y); }},
      {"2x6", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<2, 6>(m, x, y); }},
      {"3x2", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<3, 2>(m, x, y); }},
      {"3x4", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<3, 4>(m, x, y); }},
      {"4x2", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<4, 2>(m, x, y); }},
      {"4x3", [](const uint16_t*, const PackedMatrix& m, const float* x, float* y) { kernels::rows<4, 3>(m, x, y); }},
      {"f16 1x4", [](const uint16_t* w, const PackedMatrix& m, const float* x, float* y) { kernels::f16_rows<1, 4>(w, m, x, y); }},
      {"f16 3x2", [](const uint16_t* w, const PackedMatrix& m, const float* x, float* y) { kernels::f16_rows<3, 2>(w, m, x, y); }},
      {"f16 4x2", [](const uint16_t* w, const PackedMatrix& m, const float* x, float* y) { kernels::f16_rows<4, 2>(w, m, x, y); }},
  };
  const int nv = sizeof(variants) / sizeof(variants[0]);
  std::printf("median us over %d interleaved calls (rows x vectors of 8 outputs)\n", calls);
  for (const auto& s : shapes) {
    std::vector<float> w(static_cast<std::size_t>(s.out) * s.in), b(s.out);
    for (auto& v : w) v = d(g);
    for (auto& v : b) v = d(g);
    PackedMatrix m;
    if (!m.pack(w.data(), b.data(), s.out, s.in)) return 1;
    const std::size_t n = static_cast<std::size_t>(m.ld()) * s.in;
    AlignedBuffer<uint16_t> wh;
    if (!wh.allocate(n)) return 1;
    kernels::to_f16(m.weights(), wh.data(), n);
    std::vector<float> x(4 * static_cast<std::size_t>(s.in)), y(4 * static_cast<std::size_t>(m.ld()));
    for (auto& v : x) v = d(g);
    std::vector<std::vector<double>> t(nv);
    for (int i = 0; i < calls; ++i)
      for (int k = 0; k < nv; ++k) {
        const auto a = std::chrono::steady_clock::now();
        variants[k].fn(wh.data(), m, x.data(), y.data());
        t[k].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
      }
    std::printf("%4d x %4d %-9s", s.out, s.in, s.what);
    for (int k = 0; k < nv; ++k) {
      std::sort(t[k].begin(), t[k].end());
      std::printf("  %s %.1f", variants[k].name, t[k][t[k].size() / 2]);
    }
    std::printf("\n");
  }
  return 0;
}
#else
int main() {
  std::printf("gemm_tiles_bench: x86-64 only\n");
  return 0;
}
#endif
