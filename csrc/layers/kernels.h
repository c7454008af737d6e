#pragma once
// Dense kernels behind every layer: a packed weight matrix and y = W·x + b for a batch of
// 1..N input rows, plus vectorisable activations. Two implementations, chosen at run time:
// an AVX2+FMA path (kernels_avx2.cpp, compiled for that target only, per function) and a
// portable path (plain C++ the compiler vectorises for the baseline ISA).
// Nothing here allocates except PackedMatrix::pack().
#include <cstddef>

#include "util/aligned_buffer.h"
#include "util/cpu_features.h"

namespace rt_synth {

// W [out][in] (PyTorch row-major) stored transposed as [in][ld] with ld = out rounded up
// to a multiple of 16 floats (64 bytes), zero padded, 64-byte aligned; bias padded to ld.
// The transposed layout turns y = W·x into a sum of contiguous weight rows scaled by x[j]:
// no horizontal sums, and the same loop serves one frame or a stack of voices.
class PackedMatrix {
 public:
  static constexpr int kLdMultiple = 16;

  // weight: [out][in] row-major; bias: [out] or nullptr (zero). Returns false on bad
  // sizes or allocation failure. Allocates: call at set-up, never on the audio path.
  bool pack(const float* weight, const float* bias, int out, int in) noexcept;
  // Sets W[o][j] for an already packed (sized) matrix; used by layers with odd layouts.
  void set(int o, int j, float v) noexcept { w_[static_cast<std::size_t>(j) * ld_ + o] = v; }
  void set_bias(int o, float v) noexcept { b_[o] = v; }
  // Sizes and zero-fills without weights (then fill with set()/set_bias()).
  bool resize(int out, int in) noexcept;

  int out() const noexcept { return out_; }
  int in() const noexcept { return in_; }
  int ld() const noexcept { return ld_; }
  const float* weights() const noexcept { return w_.data(); }
  const float* bias() const noexcept { return b_.data(); }
  bool empty() const noexcept { return out_ == 0; }

 private:
  int out_ = 0, in_ = 0, ld_ = 0;
  AlignedBuffer<float> w_;
  AlignedBuffer<float> b_;
};

namespace kernels {

// y[b*ldy + o] = bias[o] + sum_j x[b*ldx + j] * W[o][j] for b < batch, o < out.
// x and y must not overlap. Any batch >= 0; batch <= 32 is the design point.
void gemm(const PackedMatrix& w, const float* x, int ldx, float* y, int ldy, int batch) noexcept;

// In-place activations over n contiguous floats.
void tanh_inplace(float* x, int n) noexcept;     // rational approximation, |err| < 2e-7
void sigmoid_inplace(float* x, int n) noexcept;  // 0.5 + 0.5·tanh(x/2)

// The active instruction set. Chosen once from the CPU (RT_SYNTH_ISA=portable in the
// environment forces the portable path); set_isa() overrides it for tests and benchmarks
// (returns false if the CPU cannot run the requested path). Not to be called while
// another thread is inside a kernel.
Isa active_isa() noexcept;
bool set_isa(Isa isa) noexcept;

// Implementations (for tests / benchmarks that want to call one path directly).
namespace portable {
void gemm(const PackedMatrix& w, const float* x, int ldx, float* y, int ldy, int batch) noexcept;
void tanh_inplace(float* x, int n) noexcept;
void sigmoid_inplace(float* x, int n) noexcept;
}  // namespace portable
namespace avx2 {
bool compiled() noexcept;  // false on non-x86 builds
void gemm(const PackedMatrix& w, const float* x, int ldx, float* y, int ldy, int batch) noexcept;
void tanh_inplace(float* x, int n) noexcept;
void sigmoid_inplace(float* x, int n) noexcept;
}  // namespace avx2

}  // namespace kernels
}  // namespace rt_synth
