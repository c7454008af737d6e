#include "host/resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace rt_synth {
namespace {

constexpr float kClip = 1e4f;  // a bad sample never blows up the history (rule 5)

double besselI0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 200; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < 1e-18 * sum) break;
  }
  return sum;
}

}  // namespace

Error Resampler::prepare(int rate_in, int rate_out, double stopband_db) noexcept {
  coef_ = AlignedBuffer<float>();
  if (rate_in <= 0 || rate_out <= 0 || rate_in > kMaxRate || rate_out > kMaxRate ||
      !(stopband_db >= 20 && stopband_db <= 200))
    return make_error(ErrorCode::kInvalidArgument, "Resampler: rates must be whole numbers in 1.." +
                                                       std::to_string(kMaxRate) + " Hz, stopband 20..200 dB");
  const int g = std::gcd(rate_in, rate_out);
  const int L = rate_out / g, M = rate_in / g;
  interpolated_ = L > kMaxExactTerm || M > kMaxExactTerm;
  const int P = interpolated_ ? kInterpolatedPhases : L;  // table phases
  const int table_phases = interpolated_ ? P + 1 : P;     // +1: the interpolation's upper neighbour
  const double nyq = 0.5 * std::min(rate_in, rate_out);
  const double pass = std::min(20000.0, 0.9 * nyq);
  const double stop = nyq;
  const double A = stopband_db;
  const double beta = A > 50 ? 0.1102 * (A - 8.7) : 0.5842 * std::pow(A - 21, 0.4) + 0.07886 * (A - 21);
  // Kaiser's length estimate at the input rate gives the taps per phase.
  const double pi = 3.14159265358979323846;
  const double dw = 2.0 * pi * (stop - pass) / rate_in;
  const double T_est = std::ceil((A - 7.95) / (2.285 * dw)) + 1;
  if (!(T_est < (1 << 20)))
    return make_error(ErrorCode::kTooLarge, "Resampler: " + std::to_string(rate_in) + " -> " + std::to_string(rate_out) +
                                                " Hz needs too long a filter");
  int T = static_cast<int>(T_est);
  T = (T + 7) / 8 * 8;
  const std::size_t n_coef = static_cast<std::size_t>(table_phases) * static_cast<std::size_t>(T);
  if (n_coef > (std::size_t(1) << 26))
    return make_error(ErrorCode::kTooLarge, "Resampler: " + std::to_string(rate_in) + " -> " + std::to_string(rate_out) +
                                                " Hz needs a table of more than 64 M taps");
  rate_in_ = rate_in;
  rate_out_ = rate_out;
  L_ = L;
  M_ = M;
  P_ = P;
  T_ = T;
  const double N = static_cast<double>(P) * T;
  const double fu = static_cast<double>(P) * rate_in;  // prototype rate
  const double fc = 0.5 * (pass + stop) / fu;          // cycles per prototype sample
  const double centre = 0.5 * (N - 1);
  const double i0b = besselI0(beta);
  if (!coef_.allocate(n_coef) || !hist_.allocate(2 * static_cast<std::size_t>(T)))
    return make_error(ErrorCode::kTooLarge, "Resampler: out of memory");
  // Prototype tap j (j = p + t*P; j = N, the last phase's last tap, lies on the window's edge).
  auto h = [&](double j) {
    const double t = j - centre;
    const double arg = 2.0 * fc * t;
    const double sinc = std::fabs(arg) < 1e-12 ? 1.0 : std::sin(pi * arg) / (pi * arg);
    const double r = t / (0.5 * N);
    const double w = besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0b;
    return 2.0 * fc * sinc * w * P;
  };
  std::vector<double> ph;
  try {
    ph.resize(static_cast<std::size_t>(T));
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "Resampler: out of memory");
  }
  // Each phase's DC gain normalised to exactly 1 (removes the small per-phase ripple at DC;
  // interpolating two unit-gain phases keeps unit gain).
  for (int p = 0; p < table_phases; ++p) {
    double s = 0;
    for (int t = 0; t < T; ++t) s += ph[t] = h(p + static_cast<double>(t) * P);
    for (int t = 0; t < T; ++t) coef_[static_cast<std::size_t>(p) * T + (T - 1 - t)] = static_cast<float>(ph[t] / s);
  }
  reset();
  return Error::none();
}

void Resampler::reset() noexcept {
  hist_.zero();
  pos_ = 0;
  phase_ = 0;
  pending_ = 0;  // output 0 has base input 0: it is emitted once input 0 arrives
}

namespace {

inline float dotT(const float* c, const float* x, int T) noexcept {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int t = 0; t < T; t += 8)
    for (int l = 0; l < 8; ++l) acc[l] += c[t + l] * x[t + l];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

int Resampler::process(const float* in, int n, float* out) noexcept {
  if (coef_.empty()) return 0;
  // One loop per mode, so the exact (common-rate) path is the same tight loop as before the
  // interpolated mode existed.
  return interpolated_ ? run<true>(in, n, out) : run<false>(in, n, out);
}

template <bool kInterpolated>
int Resampler::run(const float* in, int n, float* out) noexcept {
  const int T = T_;
  float* h = hist_.data();
  int produced = 0;
  for (int i = 0; i < n; ++i) {
    float v = in[i];
    if (!std::isfinite(v)) v = 0.f;
    v = std::min(kClip, std::max(-kClip, v));
    h[pos_] = v;
    h[pos_ + T] = v;
    const float* x = h + pos_ + 1;  // T latest inputs, oldest first
    pos_ = pos_ + 1 == T ? 0 : pos_ + 1;
    if (pending_ > 0) {  // not yet the base input of the next output
      --pending_;
      continue;
    }
    for (;;) {  // every output whose base sample is this input
      if constexpr (!kInterpolated) {
        out[produced++] = dotT(coef_.data() + static_cast<std::size_t>(phase_) * T, x, T);
      } else {
        const int64_t q = static_cast<int64_t>(phase_) * P_;  // < L * 512: fits easily
        const int qi = static_cast<int>(q / L_);
        const float a = static_cast<float>(static_cast<double>(q - static_cast<int64_t>(qi) * L_) / L_);
        const float* c = coef_.data() + static_cast<std::size_t>(qi) * T;
        const float y0 = dotT(c, x, T), y1 = dotT(c + T, x, T);
        out[produced++] = y0 + a * (y1 - y0);
      }
      const int advance = (phase_ + M_) / L_;  // phase_ < L and M <= 2^24: no overflow
      phase_ = (phase_ + M_) % L_;
      if (advance > 0) {
        pending_ = advance - 1;
        break;
      }
    }
  }
  return produced;
}

}  // namespace rt_synth
