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

#include "layers/kernels_avx2_tiles.inl"

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
    const int chunks = in > 0 ? (in + kChunk - 1) / kChunk : 1;  // in == 0: one pass, y = bias
    for (int c = 0, j0 = 0; c < chunks; ++c, j0 += kChunk) {
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
  // Tile shapes from bench/gemm_tiles_bench.cpp on the DDSP base matrices (docs/core-layers.md):
  // 3 rows × 32 columns (12 accumulators, enough independent FMA chains to hide the FMA
  // latency) is 1.25–1.43× faster than 3 × 16; more columns at 4 rows, or 12 vectors at 1
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
