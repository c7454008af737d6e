#include "dsp/harmonic_oscillator.h"

#include <algorithm>
#include <cmath>

#include "util/cpu_features.h"

namespace rt_synth::dsp {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Partials 1..k_n: acc += A_k(n)·s_k, then s_{k+1} = 2cosθ·s_k − s_{k−1}. Loop over samples
// inside, so it vectorises: once for the baseline ISA, once for AVX2+FMA (4 doubles a lane).
__attribute__((always_inline)) inline void partialsImpl(const double* amp_prev, const double* amp_delta, int k_n,
                                                        const double* ramp, double* s_prev, double* s_cur,
                                                        const double* c2, double* acc, int n) {
  for (int k = 0; k < k_n; ++k) {
    const double a0 = amp_prev[k], da = amp_delta[k];
    for (int i = 0; i < n; ++i) {
      const double s = s_cur[i];
      acc[i] += (a0 + da * ramp[i]) * s;
      const double next = c2[i] * s - s_prev[i];
      s_prev[i] = s;
      s_cur[i] = next;
    }
  }
}

void partialsPortable(const double* amp_prev, const double* amp_delta, int k_n, const double* ramp,
                      double* s_prev, double* s_cur, const double* c2, double* acc, int n) {
  partialsImpl(amp_prev, amp_delta, k_n, ramp, s_prev, s_cur, c2, acc, n);
}

__attribute__((target("avx2,fma"))) void partialsAvx2(const double* amp_prev, const double* amp_delta, int k_n,
                                                      const double* ramp, double* s_prev, double* s_cur,
                                                      const double* c2, double* acc, int n) {
  partialsImpl(amp_prev, amp_delta, k_n, ramp, s_prev, s_cur, c2, acc, n);
}
}  // namespace

void HarmonicOscillator::prepare(double sample_rate, int hop, int n_harmonics) {
  sr_ = sample_rate;
  hop_ = hop;
  k_ = n_harmonics;
  amp_prev_.assign(k_, 0.0);
  amp_delta_.assign(k_, 0.0);
  ramp_.resize(hop_);
  for (int j = 0; j < hop_; ++j) ramp_[j] = rampPosition(j, hop_);
  s_prev_.assign(hop_, 0.0);
  s_cur_.assign(hop_, 0.0);
  c2_.assign(hop_, 0.0);
  acc_.assign(hop_, 0.0);
  avx2_ = cpu_has_avx2_fma();
  reset();
}

void HarmonicOscillator::reset() {
  phase_ = 0.0;
  started_ = false;
  pos_ = hop_;  // no frame yet: render writes silence
  f0_.reset(0.0);
  std::fill(amp_prev_.begin(), amp_prev_.end(), 0.0);
  std::fill(amp_delta_.begin(), amp_delta_.end(), 0.0);
  k_active_ = 0;
}

void HarmonicOscillator::beginFrame(double f0_hz, const float* amplitudes) {
  if (!started_) {
    f0_.reset(f0_hz);  // c[-1] = f0[0]: the first frame's pitch does not glide up from 0
    started_ = true;
  }
  f0_.setTarget(f0_hz);
  for (int k = 0; k < k_; ++k) {
    const double prev = amp_prev_[k] + amp_delta_[k];  // last frame's target
    amp_prev_[k] = prev;
    amp_delta_[k] = static_cast<double>(amplitudes[k]) - prev;
  }
  // Partials above the highest one that sounds in this frame (amplitude 0 at both ends of
  // the ramp: above Nyquist, control_scaling.cpp) add exactly 0: the recurrence stops there.
  k_active_ = k_;
  while (k_active_ > 0 && amp_prev_[k_active_ - 1] == 0.0 && amp_delta_[k_active_ - 1] == 0.0) --k_active_;
  pos_ = 0;
}

void HarmonicOscillator::render(float* out, int n) {
  const int avail = std::max(0, std::min(n, hop_ - pos_));
  for (int i = avail; i < n; ++i) out[i] = 0.0f;
  if (avail == 0) return;

  const double* ramp = ramp_.data() + pos_;
  double* s_prev = s_prev_.data();
  double* s_cur = s_cur_.data();
  double* c2 = c2_.data();
  double* acc = acc_.data();

  // Phase, sin(θ) and 2cos(θ) per sample.
  const double f_prev = f0_.previous(), f_delta = f0_.target() - f0_.previous();
  double p = phase_;
  for (int i = 0; i < avail; ++i) {
    const double f0 = f_prev + f_delta * ramp[i];
    p += f0 / sr_;
    p -= std::floor(p);
    const double theta = kTwoPi * p;
    s_prev[i] = 0.0;              // s_0 = sin(0)
    s_cur[i] = std::sin(theta);   // s_1
    c2[i] = 2.0 * std::cos(theta);
    acc[i] = 0.0;
  }
  phase_ = p;

  (avx2_ ? partialsAvx2 : partialsPortable)(amp_prev_.data(), amp_delta_.data(), k_active_, ramp, s_prev, s_cur,
                                            c2, acc, avail);
  for (int i = 0; i < avail; ++i) out[i] = static_cast<float>(acc[i]);
  pos_ += avail;
}

}  // namespace rt_synth::dsp
