// Causal A-weighted loudness in dB per frame: the C++ port of
// rt_synth/dsp/loudness.py::a_weighted_loudness (its docstring is the contract).
//
// Frame i measures the n_fft samples ENDING at sample (i+1)*hop (zeros before the stream
// start), periodic Hann window, one-sided power spectrum weighted by the IEC 61672-1 A-curve,
// 10*log10(max(P, 1e-10)). The DFT is our own radix-2 complex FFT in double (n_fft a power of
// two), so the numbers equal numpy's to ~1e-12 dB.
//
// Input samples are sanitised like the YIN tracker's (non-finite -> 0, clip to [-4, 4]): the
// same numbers as the Python function for finite input within +-4, finite dB always.
// Real time: memory taken in prepare(); push() does not allocate; one FFT per hop.
#pragma once
#include <cstdint>

#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class LoudnessMeter {
 public:
  static constexpr double kFloorDb = -100.0;

  Error prepare(double sample_rate, int hop, int n_fft) noexcept;  // allocates
  void reset() noexcept;
  // One sample; true when it completes a frame (then loudnessDb() holds it).
  bool push(float sample) noexcept;
  float loudnessDb() const noexcept { return static_cast<float>(db_); }
  double loudnessDbExact() const noexcept { return db_; }
  int nFft() const noexcept { return n_fft_; }
  int hop() const noexcept { return hop_; }

 private:
  void analyse() noexcept;

  int hop_ = 192, n_fft_ = 1024, log2n_ = 10, pos_ = 0;
  uint64_t n_ = 0;
  double db_ = kFloorDb;
  AlignedBuffer<double> hist_;     // doubled ring of n_fft samples
  AlignedBuffer<double> window_;   // periodic Hann
  AlignedBuffer<double> weights_;  // c_k g_k / (N sum w^2), k = 0..N/2
  AlignedBuffer<double> re_, im_;  // FFT work
  AlignedBuffer<double> cos_, sin_;  // twiddles, N/2
  AlignedBuffer<int> bitrev_;
  bool prepared_ = false;
};

}  // namespace rt_synth
