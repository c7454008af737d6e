#include "transfer/streaming_yin.h"

#include <cmath>
#include <string>

namespace rt_synth {

Error StreamingYin::prepare(double sample_rate, int hop, double f0_min, double f0_max,
                            double threshold) noexcept {
  prepared_ = false;
  if (!(sample_rate > 0) || hop < 1 || !(0 < f0_min && f0_min < f0_max) || !(threshold > 0))
    return make_error(ErrorCode::kInvalidArgument, "StreamingYin: need SR > 0, hop >= 1, 0 < f0_min < f0_max, threshold > 0");
  const double tmax = std::ceil(sample_rate / f0_min), tmin = std::floor(sample_rate / f0_max);
  if (tmin < 2 || tmax < tmin + 2 || tmax > 1 << 20)
    return make_error(ErrorCode::kInvalidArgument, "StreamingYin: unusable lag range tau_min=" +
                      std::to_string(tmin) + ", tau_max=" + std::to_string(tmax));
  sample_rate_ = sample_rate;
  hop_ = hop;
  f0_min_ = f0_min;
  f0_max_ = f0_max;
  threshold_ = threshold;
  tau_max_ = static_cast<int>(tmax);
  tau_min_ = static_cast<int>(tmin);
  window_ = tau_max_;
  ring_ = window_ + tau_max_ + 1;
  refresh_ = static_cast<uint64_t>(kRefreshFrames) * static_cast<uint64_t>(hop_);
  if (!hist_.allocate(2 * static_cast<std::size_t>(ring_)) || !dr_.allocate(tau_max_) ||
      !cmndf_.allocate(tau_max_ + 1))
    return make_error(ErrorCode::kTooLarge, "StreamingYin: out of memory");
  prepared_ = true;
  reset();
  return Error::none();
}

void StreamingYin::reset() noexcept {
  hist_.zero();
  dr_.zero();
  cmndf_.zero();
  pos_ = 0;
  n_ = 0;
  energy_ = 0;
  held_f0_ = f0_min_;
  frame_ = YinFrame{static_cast<float>(f0_min_), 0.f, false, true};
}

bool StreamingYin::push(float sample) noexcept {
  if (!prepared_) return false;
  double v = sample;
  if (!std::isfinite(v)) v = 0.0;
  else if (v > kClip) v = kClip;
  else if (v < -kClip) v = -kClip;
  double* h = hist_.data();
  h[pos_] = v;
  h[pos_ + ring_] = v;
  // The ring_ most recent samples, oldest first: last[k] with x[n] = last[ring_ - 1].
  const double* last = h + pos_ + 1;
  pos_ = pos_ + 1 == ring_ ? 0 : pos_ + 1;
  const int R = ring_, W = window_, T = tau_max_;
  const double xn = last[R - 1];
  const double xo = last[R - 1 - W];
  const double* past = last + (R - 1 - T);      // past[j] = x[n - (T - j)]
  const double* old = last + (R - 1 - W - T);   // old[j]  = x[n - W - (T - j)]
  double* dr = dr_.data();
  for (int j = 0; j < T; ++j) {
    const double a = xn - past[j];
    const double b = xo - old[j];
    dr[j] += a * a - b * b;
  }
  energy_ += xn * xn - xo * xo;
  const uint64_t n = n_++;
  if ((n + 1) % refresh_ == 0) refresh(last);
  if ((n + 1) % static_cast<uint64_t>(hop_) == 0) {
    analyse();
    return true;
  }
  return false;
}

void StreamingYin::refresh(const double* last) noexcept {
  // Exact recomputation over the window (m ascending): bounds the rounding drift.
  const int R = ring_, W = window_, T = tau_max_;
  const double* x = last + (R - 1);  // x[0] = newest, x[-k] = k samples ago
  double* dr = dr_.data();
  for (int j = 0; j < T; ++j) {
    const int tau = T - j;
    double s = 0.0;
    for (int m = -W + 1; m <= 0; ++m) {
      const double a = x[m] - x[m - tau];
      s += a * a;
    }
    dr[j] = s;
  }
  double s = 0.0;
  for (int m = -W + 1; m <= 0; ++m) s += x[m] * x[m];
  energy_ = s;
}

void StreamingYin::analyse() noexcept {
  const int T = tau_max_;
  if (energy_ < kSilencePower * window_) {
    frame_ = YinFrame{static_cast<float>(held_f0_), 0.f, false, true, energy_};
    return;
  }
  const double* dr = dr_.data();
  double* c = cmndf_.data();
  double running = 0.0;
  c[0] = 1.0;
  for (int tau = 1; tau <= T; ++tau) {
    double v = dr[T - tau];
    if (v < 0.0) v = 0.0;
    running += v;
    c[tau] = running > 0.0 ? v * tau / running : 1.0;
  }
  int best = -1;
  for (int tau = tau_min_; tau <= T; ++tau) {
    if (c[tau] < threshold_) {
      while (tau + 1 <= T && c[tau + 1] < c[tau]) ++tau;
      best = tau;
      break;
    }
  }
  const bool voiced = best >= 0;
  if (!voiced) {
    best = tau_min_;
    for (int tau = tau_min_ + 1; tau <= T; ++tau)
      if (c[tau] < c[best]) best = tau;
  }
  double shift = 0.0;
  if (best + 1 <= T) {
    const double a = c[best - 1], b = c[best], cc = c[best + 1];
    const double denom = a - 2.0 * b + cc;
    if (denom > 0.0) {
      shift = 0.5 * (a - cc) / denom;
      if (shift > 1.0) shift = 1.0;
      else if (shift < -1.0) shift = -1.0;
    }
  }
  double per = 1.0 - c[best];
  if (per < 0.0) per = 0.0;
  else if (per > 1.0) per = 1.0;
  const double f0 = sample_rate_ / (best + shift);
  if (voiced) held_f0_ = f0;
  frame_ = YinFrame{static_cast<float>(f0), static_cast<float>(per), voiced, false, energy_};
}

}  // namespace rt_synth
