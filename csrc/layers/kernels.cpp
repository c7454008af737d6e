#include "layers/kernels.h"

#include <cstdlib>
#include <cstring>

namespace rt_synth {

bool PackedMatrix::resize(int out, int in) noexcept {
  out_ = in_ = ld_ = 0;
  if (out <= 0 || in <= 0 || out > (1 << 24) || in > (1 << 24)) return false;
  const int ld = (out + kLdMultiple - 1) / kLdMultiple * kLdMultiple;
  if (!w_.allocate(static_cast<std::size_t>(ld) * static_cast<std::size_t>(in))) return false;
  if (!b_.allocate(static_cast<std::size_t>(ld))) return false;
  out_ = out;
  in_ = in;
  ld_ = ld;
  return true;
}

bool PackedMatrix::pack(const float* weight, const float* bias, int out, int in) noexcept {
  if (!weight || !resize(out, in)) return false;
  for (int o = 0; o < out; ++o)
    for (int j = 0; j < in; ++j) w_[static_cast<std::size_t>(j) * ld_ + o] = weight[static_cast<std::size_t>(o) * in + j];
  if (bias)
    for (int o = 0; o < out; ++o) b_[o] = bias[o];
  return true;
}

namespace kernels {
namespace {
#define RT_KERNEL_TARGET
#include "layers/kernels_activation.inl"
#undef RT_KERNEL_TARGET

// Portable tile: C consecutive outputs of one row, accumulated in a local array the
// compiler keeps in vector registers (SSE2 on the x86-64 baseline).
template <int C>
inline void portable_tile(const float* __restrict w, int ld, int in, const float* __restrict bias,
                          const float* __restrict x, float* __restrict y, int ncols) {
  float acc[C];
  for (int c = 0; c < C; ++c) acc[c] = bias[c];
  for (int j = 0; j < in; ++j) {
    const float xj = x[j];
    const float* __restrict wr = w + static_cast<std::size_t>(j) * ld;
    for (int c = 0; c < C; ++c) acc[c] += wr[c] * xj;
  }
  for (int c = 0; c < ncols; ++c) y[c] = acc[c];
}
}  // namespace

namespace portable {
void gemm(const PackedMatrix& m, const float* x, int ldx, float* y, int ldy, int batch) noexcept {
  const int out = m.out(), in = m.in(), ld = m.ld();
  const float* w = m.weights();
  const float* b = m.bias();
  for (int r = 0; r < batch; ++r) {
    const float* xr = x + static_cast<std::size_t>(r) * ldx;
    float* yr = y + static_cast<std::size_t>(r) * ldy;
    int o = 0;
    for (; o + 32 <= ld; o += 32) {
      const int nc = out - o < 32 ? out - o : 32;
      if (nc <= 0) break;
      portable_tile<32>(w + o, ld, in, b + o, xr, yr + o, nc);
    }
    if (o < out) portable_tile<16>(w + o, ld, in, b + o, xr, yr + o, out - o);
  }
}
void tanh_inplace(float* x, int n) noexcept { tanh_loop(x, n); }
void sigmoid_inplace(float* x, int n) noexcept { sigmoid_loop(x, n); }
}  // namespace portable

namespace {
struct Table {
  Isa isa;
  void (*gemm)(const PackedMatrix&, const float*, int, float*, int, int) noexcept;
  void (*tanh_inplace)(float*, int) noexcept;
  void (*sigmoid_inplace)(float*, int) noexcept;
};
const Table kPortable{Isa::kPortable, &portable::gemm, &portable::tanh_inplace, &portable::sigmoid_inplace};
const Table kAvx2{Isa::kAvx2Fma, &avx2::gemm, &avx2::tanh_inplace, &avx2::sigmoid_inplace};

bool avx2_usable() noexcept { return avx2::compiled() && cpu_has_avx2_fma(); }

const Table* choose() noexcept {
  const char* env = std::getenv("RT_SYNTH_ISA");
  if (env && std::strcmp(env, "portable") == 0) return &kPortable;
  return avx2_usable() ? &kAvx2 : &kPortable;
}
// Chosen during static initialisation, before any audio thread exists.
const Table* g_table = choose();
}  // namespace

void gemm(const PackedMatrix& w, const float* x, int ldx, float* y, int ldy, int batch) noexcept {
  g_table->gemm(w, x, ldx, y, ldy, batch);
}
void tanh_inplace(float* x, int n) noexcept { g_table->tanh_inplace(x, n); }
void sigmoid_inplace(float* x, int n) noexcept { g_table->sigmoid_inplace(x, n); }
Isa active_isa() noexcept { return g_table->isa; }
bool set_isa(Isa isa) noexcept {
  if (isa == Isa::kAvx2Fma) {
    if (!avx2_usable()) return false;
    g_table = &kAvx2;
  } else {
    g_table = &kPortable;
  }
  return true;
}

}  // namespace kernels
}  // namespace rt_synth
