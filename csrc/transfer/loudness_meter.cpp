#include "transfer/loudness_meter.h"

#include <cmath>

namespace rt_synth {

Error LoudnessMeter::prepare(double sample_rate, int hop, int n_fft) noexcept {
  prepared_ = false;
  if (!(sample_rate > 0) || hop < 1 || n_fft < 4 || n_fft > (1 << 20) || (n_fft & (n_fft - 1)))
    return make_error(ErrorCode::kInvalidArgument,
                      "LoudnessMeter: need SR > 0, hop >= 1 and n_fft a power of two in [4, 2^20]");
  hop_ = hop;
  n_fft_ = n_fft;
  log2n_ = 0;
  while ((1 << log2n_) < n_fft) ++log2n_;
  const int N = n_fft, K = N / 2 + 1;
  if (!hist_.allocate(2 * N) || !window_.allocate(N) || !weights_.allocate(K) || !re_.allocate(N) ||
      !im_.allocate(N) || !cos_.allocate(N / 2) || !sin_.allocate(N / 2) || !bitrev_.allocate(N))
    return make_error(ErrorCode::kTooLarge, "LoudnessMeter: out of memory");
  const double pi = 3.14159265358979323846;
  double sumw2 = 0;
  for (int t = 0; t < N; ++t) {
    window_[t] = 0.5 - 0.5 * std::cos(2.0 * pi * t / N);
    sumw2 += window_[t] * window_[t];
  }
  const double g2 = std::pow(10.0, 2.0 / 20.0);
  for (int k = 0; k < K; ++k) {
    const double f = k * (sample_rate / N), f2 = f * f;
    const double ra = (12194.0 * 12194.0 * f2 * f2) /
                      ((f2 + 20.6 * 20.6) * std::sqrt((f2 + 107.7 * 107.7) * (f2 + 737.9 * 737.9)) *
                       (f2 + 12194.0 * 12194.0));
    const double gain = (ra * g2) * (ra * g2);
    const double c = (k == 0 || k == N / 2) ? 1.0 : 2.0;
    weights_[k] = c * gain / (N * sumw2);
  }
  for (int k = 0; k < N / 2; ++k) {
    cos_[k] = std::cos(2.0 * pi * k / N);
    sin_[k] = -std::sin(2.0 * pi * k / N);
  }
  for (int i = 0; i < N; ++i) {
    int r = 0;
    for (int b = 0; b < log2n_; ++b) r |= ((i >> b) & 1) << (log2n_ - 1 - b);
    bitrev_[i] = r;
  }
  prepared_ = true;
  reset();
  return Error::none();
}

void LoudnessMeter::reset() noexcept {
  hist_.zero();
  pos_ = 0;
  n_ = 0;
  db_ = kFloorDb;
}

bool LoudnessMeter::push(float sample) noexcept {
  if (!prepared_) return false;
  double v = sample;
  if (!std::isfinite(v)) v = 0.0;
  else if (v > 4.0) v = 4.0;
  else if (v < -4.0) v = -4.0;
  hist_[pos_] = v;
  hist_[pos_ + n_fft_] = v;
  pos_ = pos_ + 1 == n_fft_ ? 0 : pos_ + 1;
  if (++n_ % static_cast<uint64_t>(hop_) == 0) {
    analyse();
    return true;
  }
  return false;
}

void LoudnessMeter::analyse() noexcept {
  const int N = n_fft_;
  const double* x = hist_.data() + pos_;  // the N latest samples, oldest first
  double* re = re_.data();
  double* im = im_.data();
  for (int t = 0; t < N; ++t) {
    re[bitrev_[t]] = x[t] * window_[t];
    im[bitrev_[t]] = 0.0;
  }
  for (int len = 2; len <= N; len <<= 1) {  // iterative radix-2 DIT
    const int half = len >> 1, step = N / len;
    for (int s = 0; s < N; s += len) {
      for (int j = 0; j < half; ++j) {
        const double wr = cos_[j * step], wi = sin_[j * step];
        const int a = s + j, b = a + half;
        const double tr = re[b] * wr - im[b] * wi;
        const double ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
  double p = 0.0;
  for (int k = 0; k <= N / 2; ++k) p += weights_[k] * (re[k] * re[k] + im[k] * im[k]);
  const double floor_p = 1e-10;
  db_ = 10.0 * std::log10(p > floor_p ? p : floor_p);
}

}  // namespace rt_synth
