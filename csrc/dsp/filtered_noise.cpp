#include "dsp/filtered_noise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "util/cpu_features.h"

namespace rt_synth::dsp {

namespace {
// ir[L] = Σ_b m[b]·table[b][·] (the frame's IR), and y[s..s+L) += u[s]·ir for every noise
// sample s (its full causal convolution): sums of scaled contiguous rows, vectorised once for
// the baseline ISA and once for AVX2+FMA.
__attribute__((always_inline)) inline void irImpl(const float* table, const float* magnitudes, int bands, int L,
                                                  float* ir) {
  for (int t = 0; t < L; ++t) ir[t] = 0.0f;
  for (int b = 0; b < bands; ++b) {
    const float m = magnitudes[b];
    const float* row = table + static_cast<size_t>(b) * L;
    for (int t = 0; t < L; ++t) ir[t] += m * row[t];
  }
}

__attribute__((always_inline)) inline void convImpl(const float* noise, int H, const float* ir, int L, float* y) {
  for (int s = 0; s < H; ++s) {
    const float u = noise[s];
    float* ys = y + s;
    for (int t = 0; t < L; ++t) ys[t] += u * ir[t];
  }
}

void irPortable(const float* table, const float* m, int bands, int L, float* ir) { irImpl(table, m, bands, L, ir); }
__attribute__((target("avx2,fma"))) void irAvx2(const float* table, const float* m, int bands, int L, float* ir) {
  irImpl(table, m, bands, L, ir);
}
void convPortable(const float* u, int H, const float* ir, int L, float* y) { convImpl(u, H, ir, L, y); }
__attribute__((target("avx2,fma"))) void convAvx2(const float* u, int H, const float* ir, int L, float* y) {
  convImpl(u, H, ir, L, y);
}
}  // namespace

void FilteredNoise::prepare(int hop, int n_bands) {
  hop_ = hop;
  bands_ = n_bands;
  len_ = 2 * (n_bands - 1);
  const int L = len_;
  table_.assign(static_cast<size_t>(bands_) * L, 0.0f);
  // irfft of a real spectrum X[0..L/2] (imaginary parts zero), length L:
  //   x[t] = (1/L)·(X0 + X_{L/2}·(−1)^t + 2·Σ_{0<b<L/2} X_b·cos(2π·b·t/L))
  // rolled by L/2 (h[t] = x[(t − L/2) mod L]) and multiplied by the symmetric Hann window.
  const double pi = 3.141592653589793238462643383279;
  for (int t = 0; t < L; ++t) {
    const int src = ((t - L / 2) % L + L) % L;
    const double w = 0.5 - 0.5 * std::cos(2.0 * pi * t / (L - 1));
    for (int b = 0; b < bands_; ++b) {
      const double scale = (b == 0 || b == bands_ - 1) ? 1.0 : 2.0;
      // cos(2π·b·src/L) with the argument reduced exactly in integers first
      const long m = (static_cast<long>(b) * src) % L;
      const double v = scale * std::cos(2.0 * pi * m / L) / L;
      table_[static_cast<size_t>(b) * L + t] = static_cast<float>(v * w);
    }
  }
  ir_.assign(L, 0.0f);
  ola_.assign(static_cast<size_t>(hop_) + L - 1, 0.0f);
  avx2_ = cpu_has_avx2_fma();
  reset();
}

void FilteredNoise::reset() {
  std::fill(ola_.begin(), ola_.end(), 0.0f);
  std::fill(ir_.begin(), ir_.end(), 0.0f);
  pos_ = hop_;  // no frame yet
}

void FilteredNoise::computeImpulseResponse(const float* magnitudes, float* ir) const {
  (avx2_ ? irAvx2 : irPortable)(table_.data(), magnitudes, bands_, len_, ir);
}

void FilteredNoise::beginFrame(const float* magnitudes, const float* noise) {
  const int L = len_, H = hop_;
  const int total = H + L - 1;
  // Drop the samples output by the previous frame: move its pending tail to the front.
  // (If a frame was left unfinished, its unread head samples are dropped with it.)
  std::memmove(ola_.data(), ola_.data() + H, sizeof(float) * (total - H));
  std::fill(ola_.begin() + (total - H), ola_.end(), 0.0f);
  // The IR, then the full causal convolution of u[0..H) with h[0..L): y[n] = Σ_t h[t]·u[n−t],
  // written as a sum of shifted, scaled copies of h so the inner loop vectorises.
  computeImpulseResponse(magnitudes, ir_.data());
  (avx2_ ? convAvx2 : convPortable)(noise, H, ir_.data(), L, ola_.data());
  pos_ = 0;
}

void FilteredNoise::renderAdd(float* out, int n) {
  const int avail = std::max(0, std::min(n, hop_ - pos_));
  const float* src = ola_.data() + pos_;
  for (int i = 0; i < avail; ++i) out[i] += src[i];
  pos_ += avail;
}

}  // namespace rt_synth::dsp
