#include "kinds/ddsp/ddsp_model.h"

#include <algorithm>
#include <cmath>

#include "dsp/control_scaling.h"
#include "util/denormal_guard.h"

namespace rt_synth {

Error DDSPModel::fromFile(const ModelFile& file, std::unique_ptr<DDSPModel>& out) noexcept {
  try {
    auto m = std::unique_ptr<DDSPModel>(new DDSPModel());
    if (Error e = DDSPConfig::read(file, m->cfg_)) return e;
    if (Error e = m->net_.load(file, m->cfg_)) return e;
    out = std::move(m);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the DDSP model");
  }
}

Error DDSPModel::load(const std::string& path, std::unique_ptr<DDSPModel>& out) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  return fromFile(file, out);
}

Error DDSPModel::prepare(double sample_rate, int max_block) noexcept {
  prepared_ = false;
  if (!(sample_rate == static_cast<double>(cfg_.sample_rate)))
    return make_error(ErrorCode::kInvalidArgument,
                      "DDSPModel: sample rate " + std::to_string(sample_rate) + " Hz is not supported; "
                      "this model runs at " + std::to_string(cfg_.sample_rate) +
                      " Hz (resample on the host side)");
  if (max_block < 1)
    return make_error(ErrorCode::kInvalidArgument, "DDSPModel: max_block must be >= 1");
  try {
    if (Error e = net_.prepare(1)) return e;
    const int K = static_cast<int>(cfg_.n_harmonics), B = static_cast<int>(cfg_.n_noise_bands);
    const int H = static_cast<int>(cfg_.hop);
    raw_.assign(cfg_.numOutputs(), 0.f);
    amps_.assign(K, 0.f);
    mags_.assign(B, 0.f);
    frame_noise_.assign(H, 0.f);
    osc_.prepare(cfg_.sample_rate, H, K);
    noise_.prepare(H, B);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "DDSPModel: out of memory in prepare");
  }
  max_block_ = max_block;
  prepared_ = true;
  reset(0);
  return Error::none();
}

void DDSPModel::reset(uint64_t seed) noexcept {
  if (!prepared_) return;
  net_.reset();
  osc_.reset();
  noise_.reset();
  noise_gen_.reset(seed);
  pos_ = static_cast<int>(cfg_.hop);  // the next sample starts frame 0
  last_f0_ = cfg_.f0_min_hz;
  last_loudness_ = cfg_.loudness_min_db;
}

void DDSPModel::beginFrame(float f0_in, float loudness_in) noexcept {
  // Sanitise: NaN → the last valid value; ±Inf and huge values are clamped below.
  if (!std::isnan(f0_in)) last_f0_ = f0_in;
  if (!std::isnan(loudness_in)) last_loudness_ = loudness_in;
  const float f0_net = last_f0_, ld_net = last_loudness_;  // clamped in the network
  const float nyquist = 0.5f * static_cast<float>(cfg_.sample_rate);
  const float f0_osc = std::min(std::max(last_f0_, 0.0f), nyquist);

  net_.step(&f0_net, &ld_net, raw_.data(), 1);
  const int K = static_cast<int>(cfg_.n_harmonics), B = static_cast<int>(cfg_.n_noise_bands);
  dsp::harmonicAmplitudes(raw_[0], raw_.data() + 1, K, f0_osc, static_cast<float>(cfg_.sample_rate),
                          amps_.data());
  dsp::noiseMagnitudes(raw_.data() + 1 + K, B, mags_.data());
  osc_.beginFrame(f0_osc, amps_.data());
  noise_gen_.generate(frame_noise_.data(), static_cast<int>(cfg_.hop));
  noise_.beginFrame(mags_.data(), frame_noise_.data());
  pos_ = 0;
}

void DDSPModel::process(const float* f0_hz, const float* loudness_db, float* out, int n) noexcept {
  if (n <= 0) return;
  if (!prepared_) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  DenormalGuard guard;
  const int H = static_cast<int>(cfg_.hop);
  int done = 0;
  while (done < n) {
    if (pos_ >= H) beginFrame(f0_hz[done], loudness_db[done]);
    const int chunk = std::min(n - done, H - pos_);
    osc_.render(out + done, chunk);
    noise_.renderAdd(out + done, chunk);
    pos_ += chunk;
    done += chunk;
  }
}

}  // namespace rt_synth
