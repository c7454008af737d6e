// Filtered noise (docs/ddsp-maths.md §4): per frame, B band magnitudes → a linear-phase FIR
//     h = roll(irfft(m), L/2) · hann_symmetric,    L = 2·(B−1)
// convolved (full, causal) with the frame's H white-noise samples, overlap-added with the
// tails of earlier frames.
//
// The inverse real DFT, the roll and the window are one precomputed [B × L] table (built in
// double in prepare), so a frame's IR is a direct B·L multiply-add sum (65·128 = 8 320) and
// its convolution a direct H·L one (192·128 = 24 576): well under 1 % of a core at 250
// frames/s, with no FFT code to get wrong.
#pragma once
#include <vector>

namespace rt_synth::dsp {

class FilteredNoise {
 public:
  // Allocates every buffer (table, IR, overlap-add buffer).
  void prepare(int hop, int n_bands);
  // Silence: clears the overlap-add tail.
  void reset();
  // Starts a frame: magnitudes m[B] and the frame's H white-noise samples u[H].
  void beginFrame(const float* magnitudes, const float* noise);
  // Adds the next n samples of the current frame into out (n ≤ remainingInFrame()).
  void renderAdd(float* out, int n);
  int remainingInFrame() const { return hop_ - pos_; }

  // The frame's impulse response (after beginFrame), L taps.
  const float* impulseResponse() const { return ir_.data(); }
  int filterLength() const { return len_; }
  int hop() const { return hop_; }
  int numBands() const { return bands_; }

  // Fills ir[L] from m[B] with the table (exposed for tests).
  void computeImpulseResponse(const float* magnitudes, float* ir) const;

 private:
  int hop_ = 0, bands_ = 0, len_ = 0;
  int pos_ = 0;
  bool avx2_ = false;  // the frame's IR and convolution in AVX2+FMA (chosen at prepare)
  std::vector<float> table_;  // [B][L]: roll(irfft(unit bin b), L/2) · window
  std::vector<float> ir_;     // [L]
  std::vector<float> ola_;    // [H + L − 1]: current frame's head + pending tails
};

}  // namespace rt_synth::dsp
