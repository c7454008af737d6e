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
  if (rate_in <= 0 || rate_out <= 0 || !(stopband_db >= 20 && stopband_db <= 200))
    return make_error(ErrorCode::kInvalidArgument, "Resampler: rates must be > 0");
  const int g = std::gcd(rate_in, rate_out);
  const int L = rate_out / g, M = rate_in / g;
  if (L > 4096 || M > 4096)
    return make_error(ErrorCode::kInvalidArgument, "Resampler: ratio " + std::to_string(rate_out) + "/" +
                      std::to_string(rate_in) + " is too complex (reduced terms > 4096)");
  rate_in_ = rate_in;
  rate_out_ = rate_out;
  L_ = L;
  M_ = M;
  const double nyq = 0.5 * std::min(rate_in, rate_out);
  const double pass = std::min(20000.0, 0.9 * nyq);
  const double stop = nyq;
  const double A = stopband_db;
  const double beta = A > 50 ? 0.1102 * (A - 8.7) : 0.5842 * std::pow(A - 21, 0.4) + 0.07886 * (A - 21);
  // Kaiser's length estimate at the input rate gives the taps per phase.
  const double pi = 3.14159265358979323846;
  const double dw = 2.0 * pi * (stop - pass) / rate_in;
  int T = static_cast<int>(std::ceil((A - 7.95) / (2.285 * dw))) + 1;
  T = (T + 7) / 8 * 8;
  T_ = T;
  const int N = L * T;
  const double fu = static_cast<double>(L) * rate_in;  // prototype rate
  const double fc = 0.5 * (pass + stop) / fu;          // cycles per prototype sample
  const double centre = 0.5 * (N - 1);
  const double i0b = besselI0(beta);
  if (!coef_.allocate(static_cast<std::size_t>(N)) || !hist_.allocate(2 * static_cast<std::size_t>(T)))
    return make_error(ErrorCode::kTooLarge, "Resampler: out of memory");
  std::vector<double> h;
  try {
    h.resize(N);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "Resampler: out of memory");
  }
  for (int j = 0; j < N; ++j) {
    const double t = j - centre;
    const double arg = 2.0 * fc * t;
    const double sinc = std::fabs(arg) < 1e-12 ? 1.0 : std::sin(pi * arg) / (pi * arg);
    const double r = t / (0.5 * N);  // in (-1, 1)
    const double w = besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0b;
    h[j] = 2.0 * fc * sinc * w * L;
  }
  // Normalise each phase's DC gain to exactly 1 (removes the small per-phase ripple at DC).
  for (int p = 0; p < L; ++p) {
    double s = 0;
    for (int t = 0; t < T; ++t) s += h[p + t * L];
    for (int t = 0; t < T; ++t) coef_[static_cast<std::size_t>(p) * T + (T - 1 - t)] = static_cast<float>(h[p + t * L] / s);
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

int Resampler::process(const float* in, int n, float* out) noexcept {
  if (coef_.empty()) return 0;
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
      const float* c = coef_.data() + static_cast<std::size_t>(phase_) * T;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int t = 0; t < T; t += 8)
        for (int l = 0; l < 8; ++l) acc[l] += c[t + l] * x[t + l];
      out[produced++] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      const int advance = (phase_ + M_) / L_;
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
