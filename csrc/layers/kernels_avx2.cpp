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

// R input rows × V vectors of 8 outputs, accumulators in registers (R·V + R + 1 ymm).
template <int R, int V>
RT_KERNEL_TARGET inline void tile(const float* __restrict w, int ld, int in, const float* __restrict bias,
                                  const float* __restrict x, int ldx, float* __restrict y, int ldy,
                                  int ncols) {
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    const __m256 b = _mm256_load_ps(bias + 8 * v);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][v] = b;
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
  for (; o < out; o += 16) tile<R, 2>(w + o, ld, in, b + o, x, ldx, y + o, ldy, out - o);
}
}  // namespace

namespace avx2 {
bool compiled() noexcept { return true; }

RT_KERNEL_TARGET void gemm(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy,
                           int batch) noexcept {
  int r = 0;
  for (; r + 4 <= batch; r += 4)
    row_group<4, 2>(m, x + static_cast<std::size_t>(r) * ldx, ldx, y + static_cast<std::size_t>(r) * ldy, ldy);
  const int rest = batch - r;
  const float* xr = x + static_cast<std::size_t>(r) * ldx;
  float* yr = y + static_cast<std::size_t>(r) * ldy;
  if (rest == 3) row_group<3, 2>(m, xr, ldx, yr, ldy);
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
