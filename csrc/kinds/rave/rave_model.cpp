#include "kinds/rave/rave_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dsp/counter_noise.h"
#include "util/denormal_guard.h"

namespace rt_synth {

namespace {
inline float clampFinite(float v, float lim) noexcept {
  if (std::isnan(v)) return 0.f;
  return v > lim ? lim : (v < -lim ? -lim : v);
}
}  // namespace

Error RaveModel::fromFile(const ModelFile& file, std::unique_ptr<RaveModel>& out) noexcept {
  try {
    auto m = std::unique_ptr<RaveModel>(new RaveModel());
    RaveConfig& c = m->cfg_;
    if (Error e = RaveConfig::read(file, c)) return e;
    if (Error e = m->analysis_.load(file, c)) return e;
    if (Error e = m->encoder_.load(file, c)) return e;
    if (Error e = m->decoder_.load(file, c)) return e;
    if (Error e = m->synthesis_.load(file, c)) return e;
    if (c.pitch_source) {
      if (Error e = m->exc_analysis_.load(file, c)) return e;
      m->pitch_.configure(c);
    }
    if (c.harmonics > 0) {
      if (Error e = m->head_.load(file, c)) return e;
      if (Error e = m->harm_analysis_.load(file, c)) return e;
      if (Error e = m->pitch_.configureHarmonics(c.harmonics)) return e;
    }
    const int D = c.latent_size;
    TensorView mu, pca, sd;
    if (Error e = file.tensor("latent_mean", {D}, mu)) return e;
    if (Error e = file.tensor("latent_pca", {D, D}, pca)) return e;
    if (Error e = file.tensor("latent_std", {D}, sd)) return e;
    if (!m->mu_.allocate(D) || !m->std_.allocate(D) || !m->mean_pca_.allocate(static_cast<std::size_t>(D) * D))
      return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the RAVE model");
    std::memcpy(m->mu_.data(), mu.data, sizeof(float) * D);
    std::memcpy(m->std_.data(), sd.data, sizeof(float) * D);
    std::memcpy(m->mean_pca_.data(), pca.data, sizeof(float) * D * D);
    for (int i = 0; i < D; ++i)
      if (m->std_[i] < 0.f)
        return make_error(ErrorCode::kBadValue, file.name() + ": latent_std[" + std::to_string(i) + "] is negative");
    m->offset_.reset(new std::atomic<float>[D]);
    m->scale_.reset(new std::atomic<float>[D]);
    for (int i = 0; i < D; ++i) {
      m->offset_[i].store(0.f);
      m->scale_[i].store(1.f);
    }
    out = std::move(m);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the RAVE model");
  }
}

Error RaveModel::load(const std::string& path, std::unique_ptr<RaveModel>& out) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  return fromFile(file, out);
}

Error RaveModel::prepare(double sample_rate, int max_block) noexcept {
  prepared_ = false;
  if (!(sample_rate == static_cast<double>(cfg_.sample_rate)))
    return make_error(ErrorCode::kInvalidArgument,
                      "RaveModel: sample rate " + std::to_string(sample_rate) + " Hz is not supported; this model runs at " +
                          std::to_string(cfg_.sample_rate) + " Hz (resample on the host side)");
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "RaveModel: max_block must be >= 1");
  const int R = ratio(), re = cfg_.encoderRatio(), D = cfg_.latent_size;
  if (Error e = analysis_.prepare(R)) return e;
  if (Error e = encoder_.prepare(re)) return e;
  if (Error e = decoder_.prepare(1)) return e;
  if (Error e = synthesis_.prepare(re)) return e;
  if (!x_.allocate(R) || !bands_.allocate(static_cast<std::size_t>(cfg_.n_bands) * re) || !mean_.allocate(D) ||
      !u_.allocate(D) || !z_.allocate(D) || !frame_.allocate(R))
    return make_error(ErrorCode::kTooLarge, "RaveModel: out of memory in prepare");
  if (cfg_.pitch_source) {
    if (Error e = yin_.prepare(sample_rate, R, cfg_.pitch_f0_min, cfg_.pitch_f0_max, cfg_.pitch_threshold)) return e;
    if (Error e = exc_analysis_.prepare(R)) return e;
    if (!exc_audio_.allocate(R) || !exc_bands_.allocate(static_cast<std::size_t>(cfg_.n_bands) * re))
      return make_error(ErrorCode::kTooLarge, "RaveModel: out of memory in prepare");
  }
  if (cfg_.harmonics > 0) {
    if (Error e = head_.prepare()) return e;
    if (Error e = harm_analysis_.prepare(R)) return e;
    if (!alpha_.allocate(static_cast<std::size_t>(cfg_.harmonics)) || !harm_audio_.allocate(R) ||
        !harm_bands_.allocate(static_cast<std::size_t>(cfg_.n_bands) * re) ||
        !gains_.allocate(static_cast<std::size_t>(cfg_.n_bands)) ||
        !prev_gains_.allocate(static_cast<std::size_t>(cfg_.n_bands)))
      return make_error(ErrorCode::kTooLarge, "RaveModel: out of memory in prepare");
  }
  max_block_ = max_block;
  prepared_ = true;
  reset();
  return Error::none();
}

void RaveModel::reset() noexcept {
  if (!prepared_) return;
  analysis_.reset();
  encoder_.reset();
  decoder_.reset();
  synthesis_.reset();
  if (cfg_.pitch_source) {
    yin_.reset();
    pitch_.reset();
    exc_analysis_.reset();
  }
  if (cfg_.harmonics > 0) {
    head_.reset();
    harm_analysis_.reset();
    gains_.zero();
    prev_gains_.zero();
  }
  frame_f0_ = trackedF0();
  frame_per_ = trackedPeriodicity();
  frame_loud_ = trackedLoudness();
  frame_.zero();
  enc_samples_ = 0;
  dec_frames_ = 0;
}

int RaveModel::encodeFrames(int n) const noexcept {
  if (n <= 0) return 0;
  const uint64_t R = static_cast<uint64_t>(ratio());
  const int first = static_cast<int>((R - enc_samples_ % R) % R);  // offset of the next multiple of R
  return n > first ? (n - 1 - first) / static_cast<int>(R) + 1 : 0;
}

int RaveModel::encodeChunk(const float* in, int n) noexcept {
  const float g = cfg_.input_gain;
  float* x = x_.data();
  if (cfg_.pitch_source) {
    // F[t] for the frame this chunk may encode: the tracker's frame ending at sample t·R − 1,
    // i.e. its newest before any sample of this chunk (the chunk never crosses a multiple of R).
    if (enc_samples_ % static_cast<uint64_t>(ratio()) == 0) {
      frame_f0_ = yin_.frame().f0;
      frame_per_ = yin_.frame().periodicity;
      if (headReadsLoudness()) frame_loud_ = loudnessOf(yin_.frame().energy);
    }
    for (int i = 0; i < n; ++i) {
      const float v = clampFinite(in[i], kMaxInput);
      yin_.push(v);  // raw level: the tracker's silence floor is absolute
      x[i] = v * g;
    }
  } else {
    for (int i = 0; i < n; ++i) x[i] = clampFinite(in[i], kMaxInput) * g;
  }
  const int mb = analysis_.process(x, bands_.data(), n);
  const int m = encoder_.process(bands_.data(), mean_.data(), mb);
  enc_samples_ += static_cast<uint64_t>(n);
  if (m == 0) return 0;
  const int D = cfg_.latent_size;
  const float* P = mean_pca_.data();
  for (int i = 0; i < D; ++i) {  // u = P (mean − μ)
    float acc = 0.f;
    for (int j = 0; j < D; ++j) acc += P[i * D + j] * (mean_[j] - mu_[j]);
    u_[i] = acc;
  }
  return m;
}

float RaveModel::loudnessOf(double energy) const noexcept {
  // pitch_source.loudness_feature of loudness_frames' e / W, the same float64 operations
  const double w = static_cast<double>(yin_.window() > 0 ? yin_.window() : 1);
  const double ms = (energy > 0.0 ? energy : 0.0) / w;  // the running sum can drift just below 0
  const double db = 10.0 * std::log10(ms + 1e-10);
  const double floor = cfg_.loudness_floor_db;
  double l = (db - floor) / -floor;
  if (!(l >= 0.0)) l = 0.0;
  if (l > cfg_.loudness_max) l = cfg_.loudness_max;
  return static_cast<float>(l);
}

void RaveModel::decodeFrame(const float* u, float f0, float periodicity, float loudness, float* out) noexcept {
  const int D = cfg_.latent_size, R = ratio();
  const float* P = mean_pca_.data();
  for (int j = 0; j < D; ++j) z_[j] = mu_[j];
  for (int i = 0; i < D; ++i) {  // z = Pᵀ u + μ
    const float ui = clampFinite(u[i], kMaxControl);
    for (int j = 0; j < D; ++j) z_[j] += P[i * D + j] * ui;
  }
  const float* exc = nullptr;
  const bool harmonic = cfg_.harmonics > 0;
  if (cfg_.pitch_source) {  // latent frame t decodes band frames t·R_e.. : excitation samples t·R..t·R+R−1
    if (harmonic) head_.process(z_.data(), f0, periodicity, loudness, alpha_.data(), gains_.data());
    pitch_.render(f0, periodicity, exc_audio_.data(), harmonic ? alpha_.data() : nullptr,
                  harmonic ? harm_audio_.data() : nullptr);
    exc_analysis_.process(exc_audio_.data(), exc_bands_.data(), R);
    exc = exc_bands_.data();
    if (harmonic) harm_analysis_.process(harm_audio_.data(), harm_bands_.data(), R);
  }
  const uint64_t first = dec_frames_ * static_cast<uint64_t>(R);
  const int nb = decoder_.process(z_.data(), bands_.data(), 1, first, exc);
  if (harmonic && head_.noiseBands() > 0) {
    // the head's noise: gain ramped from the previous frame's over the nb band frames, times the
    // decoder's noise stream (value j·M + k for band k of band frame j), added to the bands
    const int M = cfg_.n_bands;
    const uint64_t seed = cfg_.noise_seed;
    const float nbf = static_cast<float>(nb);
    float* g = gains_.data();
    float* gp = prev_gains_.data();
    float* b = bands_.data();
    for (int k = 0; k < M; ++k) {
      const float d = g[k] - gp[k];
      float* row = b + static_cast<std::size_t>(k) * nb;
      for (int j = 0; j < nb; ++j) {
        const float w = static_cast<float>(j + 1) / nbf;  // arange(1..R_e) / R_e, float32
        const float ramp = gp[k] + d * w;
        row[j] += ramp * dsp::counterNoiseValue(seed, first + static_cast<uint64_t>(j) * M + k);
      }
      gp[k] = g[k];
    }
  }
  if (harmonic) {  // the harmonic head's bands add to the decoder's
    const int n = cfg_.n_bands * nb;
    const float* hb = harm_bands_.data();
    float* b = bands_.data();
    for (int i = 0; i < n; ++i) b[i] += hb[i];
  }
  synthesis_.process(bands_.data(), out, nb);
  const float inv = 1.f / cfg_.input_gain;
  for (int i = 0; i < R; ++i) {
    const float v = out[i] * inv;
    out[i] = std::isfinite(v) ? v : 0.f;
  }
  ++dec_frames_;
}

void RaveModel::process(const float* in, float* out, int n) noexcept {
  if (n <= 0) return;
  if (!prepared_) {
    std::fill(out, out + n, 0.f);
    return;
  }
  DenormalGuard guard;
  const int R = ratio(), D = cfg_.latent_size;
  int done = 0;
  while (done < n) {
    const int phase = static_cast<int>(enc_samples_ % static_cast<uint64_t>(R));
    const int chunk = std::min(n - done, R - phase);
    if (encodeChunk(in + done, chunk)) {  // phase was 0: latent frame t = enc_samples_/R
      for (int i = 0; i < D; ++i)
        u_[i] = scale_[i].load(std::memory_order_relaxed) * u_[i] + offset_[i].load(std::memory_order_relaxed);
      decodeFrame(u_.data(), frame_f0_, frame_per_, frame_loud_, frame_.data());
    }
    std::memcpy(out + done, frame_.data() + phase, sizeof(float) * chunk);  // input already read
    done += chunk;
  }
}

int RaveModel::encode(const float* in, int n, float* u) noexcept {
  if (n <= 0 || !prepared_) return 0;
  DenormalGuard guard;
  const int R = ratio(), D = cfg_.latent_size, m = encodeFrames(n);
  int done = 0, j = 0;
  while (done < n) {
    const int phase = static_cast<int>(enc_samples_ % static_cast<uint64_t>(R));
    const int chunk = std::min(n - done, R - phase);
    if (encodeChunk(in + done, chunk) && j < m) {
      for (int i = 0; i < D; ++i) u[static_cast<std::size_t>(i) * m + j] = u_[i];
      ++j;
    }
    done += chunk;
  }
  return m;
}

void RaveModel::decode(const float* u, int frames, float* out) noexcept {
  decodeWithPitch(u, nullptr, nullptr, frames, out);
}

void RaveModel::decodeWithPitch(const float* u, const float* f0, const float* periodicity, int frames,
                                float* out, const float* loudness) noexcept {
  if (frames <= 0) return;
  const int R = ratio(), D = cfg_.latent_size;
  if (!prepared_) {
    std::fill(out, out + static_cast<std::size_t>(frames) * R, 0.f);
    return;
  }
  DenormalGuard guard;
  const float held_f0 = trackedF0(), held_per = trackedPeriodicity(), held_loud = trackedLoudness();
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < D; ++i) mean_[i] = u[static_cast<std::size_t>(i) * frames + f];
    decodeFrame(mean_.data(), f0 ? f0[f] : held_f0, periodicity ? periodicity[f] : held_per,
                loudness ? loudness[f] : held_loud, out + static_cast<std::size_t>(f) * R);
  }
}

bool RaveModel::setLatentOffset(int i, float value) noexcept {
  if (i < 0 || i >= cfg_.latent_size) return false;
  if (std::isnan(value)) return true;
  const float lim = cfg_.latent_offset_range * std_[i];
  offset_[i].store(std::min(std::max(value, -lim), lim), std::memory_order_relaxed);
  return true;
}

bool RaveModel::setLatentScale(int i, float value) noexcept {
  if (i < 0 || i >= cfg_.latent_size) return false;
  if (std::isnan(value)) return true;
  scale_[i].store(std::min(std::max(value, 0.f), cfg_.latent_scale_max), std::memory_order_relaxed);
  return true;
}

float RaveModel::latentOffset(int i) const noexcept {
  return (i >= 0 && i < cfg_.latent_size) ? offset_[i].load(std::memory_order_relaxed) : 0.f;
}
float RaveModel::latentScale(int i) const noexcept {
  return (i >= 0 && i < cfg_.latent_size) ? scale_[i].load(std::memory_order_relaxed) : 1.f;
}
float RaveModel::latentStd(int i) const noexcept { return (i >= 0 && i < cfg_.latent_size) ? std_[i] : 0.f; }

}  // namespace rt_synth
