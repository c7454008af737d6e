#include "synth/adsr.h"

#include <algorithm>
#include <cmath>

namespace rt_synth::synth {

void Adsr::set(const AdsrSettings& s) noexcept {
  const double a = std::clamp<double>(std::isfinite(s.attack_s) ? s.attack_s : 0.01, 1e-4, 30.0);
  const double d = std::clamp<double>(std::isfinite(s.decay_s) ? s.decay_s : 0.25, 1e-3, 30.0);
  const double r = std::clamp<double>(std::isfinite(s.release_s) ? s.release_s : 0.3, 2e-3, 60.0);
  sustain_ = std::clamp(std::isfinite(s.sustain) ? s.sustain : 0.8f, 0.f, 1.f);
  attack_inc_ = static_cast<float>(1.0 / (a * sr_));
  decay_coef_ = static_cast<float>(std::exp(-3.0 / (d * sr_)));
  const double tau = r / std::log((1.0 + kEps) / kEps);
  release_coef_ = static_cast<float>(std::exp(-1.0 / (tau * sr_)));
}

}  // namespace rt_synth::synth
