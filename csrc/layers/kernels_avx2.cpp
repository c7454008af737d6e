// AVX2+FMA kernels. Every function here carries the target attribute instead of the whole
// file being built with -mavx2: no inline function compiled for AVX2 can then be merged
// by the linker into code that runs on a CPU without it. Only called after the run-time
// check in kernels.cpp.
#include "layers/kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstddef>

namespace rt_synth {
namespace kernels {
namespace {
#define RT_KERNEL_TARGET __attribute__((target("avx2,fma")))
#include "layers/kernels_activation.inl"

// R input rows × V vectors of 8 outputs, accumulators in registers (R·V + R + 1 ymm), over
// inputs j in [0, in) of w/x (callers offset them for a chunk). Starts from the bias, or
// with Accumulate from the partial sums already in y (same fp32 values, same order of
// additions: a chunked product is bit-identical to an unchunked one).
template <int R, int V, bool Accumulate = false>
RT_KERNEL_TARGET inline void tile(const float* __restrict w, int ld, int in, const float* __restrict bias,
                                  const float* __restrict x, int ldx, float* __restrict y, int ldy,
                                  int ncols) {
  __m256 acc[R][V];
  if (Accumulate) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float* yr = y + static_cast<std::size_t>(r) * ldy;
      if (ncols >= 8 * V) {
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) acc[r][v] = _mm256_loadu_ps(yr + 8 * v);
      } else {
        alignas(32) float tmp[8 * V] = {};
        for (int c = 0; c < ncols; ++c) tmp[c] = yr[c];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) acc[r][v] = _mm256_load_ps(tmp + 8 * v);
      }
    }
  } else {
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256 b = _mm256_load_ps(bias + 8 * v);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][v] = b;
    }
  }
  const float* wp = w;
  for (int j = 0; j < in; ++j, wp += ld) {
    __m256 xb[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) xb[r] = _mm256_broadcast_ss(x + static_cast<std::size_t>(r) * ldx + j);
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256 wv = _mm256_load_ps(wp + 8 * v);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][v] = _mm256_fmadd_ps(wv, xb[r], acc[r][v]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float* yr = y + static_cast<std::size_t>(r) * ldy;
    if (ncols >= 8 * V) {
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) _mm256_storeu_ps(yr + 8 * v, acc[r][v]);
    } else {
      alignas(32) float tmp[8 * V];
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) _mm256_store_ps(tmp + 8 * v, acc[r][v]);
      for (int c = 0; c < ncols; ++c) yr[c] = tmp[c];
    }
  }
}

// One group of R rows across all output columns: widest tile first, then 16-wide tails.
template <int R, int V>
RT_KERNEL_TARGET inline void row_group(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy) {
  const int out = m.out(), in = m.in(), ld = m.ld();
  const float* w = m.weights();
  const float* b = m.bias();
  int o = 0;
  for (; o + 8 * V <= ld && o < out; o += 8 * V)
    tile<R, V>(w + o, ld, in, b + o, x, ldx, y + o, ldy, out - o);
  if (V > 4) {
    for (; o + 32 <= ld && o < out; o += 32) tile<R, 4>(w + o, ld, in, b + o, x, ldx, y + o, ldy, out - o);
  }
  for (; o + 16 <= ld && o < out; o += 16) tile<R, 2>(w + o, ld, in, b + o, x, ldx, y + o, ldy, out - o);
  for (; o < out; o += 8) tile<R, 1>(w + o, ld, in, b + o, x, ldx, y + o, ldy, out - o);
}
// More than 4 rows (a stack of voices): 4-row tiles would stream the whole weight matrix
// from L3 once per 4 rows, and a matrix of the DDSP base size (2–3 MB) is bound by that
// traffic. Instead each 16-column strip is cut into chunks of kChunk inputs (kChunk × 64 B
// = 8 KB, held in L1) and every group of 4 rows runs over the chunk before the next one is
// loaded: the weights come from L3 once whatever the batch. Partial sums go through y.
constexpr int kChunk = 128;

template <int R>
RT_KERNEL_TARGET inline void strip_rows(const float* w, int ld, int j0, int j1, const float* b,
                                        const float* x, int ldx, float* y, int ldy, int ncols) {
  const float* wj = w + static_cast<std::size_t>(j0) * ld;
  if (j0 == 0) tile<R, 2, false>(wj, ld, j1 - j0, b, x + j0, ldx, y, ldy, ncols);
  else tile<R, 2, true>(wj, ld, j1 - j0, b, x + j0, ldx, y, ldy, ncols);
}

RT_KERNEL_TARGET void stacked_gemm(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy,
                                   int batch) noexcept {
  const int out = m.out(), in = m.in(), ld = m.ld();
  const float* w = m.weights();
  const float* b = m.bias();
  for (int o = 0; o < out; o += 16) {
    const int ncols = out - o;
    for (int j0 = 0; j0 < in || j0 == 0; j0 += kChunk) {
      const int j1 = in < j0 + kChunk ? in : j0 + kChunk;
      int r = 0;
      for (; r + 4 <= batch; r += 4)
        strip_rows<4>(w + o, ld, j0, j1, b + o, x + static_cast<std::size_t>(r) * ldx, ldx,
                      y + static_cast<std::size_t>(r) * ldy + o, ldy, ncols);
      const float* xr = x + static_cast<std::size_t>(r) * ldx;
      float* yr = y + static_cast<std::size_t>(r) * ldy + o;
      switch (batch - r) {
        case 3: strip_rows<3>(w + o, ld, j0, j1, b + o, xr, ldx, yr, ldy, ncols); break;
        case 2: strip_rows<2>(w + o, ld, j0, j1, b + o, xr, ldx, yr, ldy, ncols); break;
        case 1: strip_rows<1>(w + o, ld, j0, j1, b + o, xr, ldx, yr, ldy, ncols); break;
        default: break;
      }
      if (in == 0) break;
    }
  }
}
}  // namespace

namespace avx2 {
bool compiled() noexcept { return true; }

RT_KERNEL_TARGET void gemm(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy,
                           int batch) noexcept {
  if (batch > 4) {
    stacked_gemm(m, x, ldx, y, ldy, batch);
    return;
  }
  int r = 0;
  for (; r + 4 <= batch; r += 4)
    row_group<4, 2>(m, x + static_cast<std::size_t>(r) * ldx, ldx, y + static_cast<std::size_t>(r) * ldy, ldy);
  const int rest = batch - r;
  const float* xr = x + static_cast<std::size_t>(r) * ldx;
  float* yr = y + static_cast<std::size_t>(r) * ldy;
  // Tile shapes from an interleaved A/B on the DDSP base matrices (docs/core-layers.md):
  // 3 rows × 32 columns (12 accumulators, enough independent FMA chains to hide the FMA
  // latency) is 1.25–1.36× faster than 3 × 16; more columns at 4 rows, or 12 vectors at 1
  // row, spill registers and are slower.
  if (rest == 3) row_group<3, 4>(m, xr, ldx, yr, ldy);
  else if (rest == 2) row_group<2, 4>(m, xr, ldx, yr, ldy);
  else if (rest == 1) row_group<1, 8>(m, xr, ldx, yr, ldy);
}
RT_KERNEL_TARGET void tanh_inplace(float* x, int n) noexcept { tanh_loop(x, n); }
RT_KERNEL_TARGET void sigmoid_inplace(float* x, int n) noexcept { sigmoid_loop(x, n); }
}  // namespace avx2
#undef RT_KERNEL_TARGET

}  // namespace kernels
}  // namespace rt_synth

#else  // not x86-64: the AVX2 path does not exist; dispatch never selects it.

namespace rt_synth {
namespace kernels {
namespace avx2 {
bool compiled() noexcept { return false; }
void gemm(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy, int batch) noexcept {
  portable::gemm(m, x, ldx, y, ldy, batch);
}
void tanh_inplace(float* x, int n) noexcept { portable::tanh_inplace(x, n); }
void sigmoid_inplace(float* x, int n) noexcept { portable::sigmoid_inplace(x, n); }
}  // namespace avx2
}  // namespace kernels
}  // namespace rt_synth
#endif
