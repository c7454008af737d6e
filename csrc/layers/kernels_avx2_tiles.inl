// The AVX2+FMA GEMM tiles (included by kernels_avx2.cpp, and by bench/gemm_tiles_bench.cpp,
// which times tile shapes against each other with this same code). Include inside
// namespace rt_synth::kernels, after <immintrin.h> and layers/kernels.h, with
// RT_KERNEL_TARGET defined.
#ifndef RT_KERNEL_TARGET
#error "define RT_KERNEL_TARGET before including kernels_avx2_tiles.inl"
#endif

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
