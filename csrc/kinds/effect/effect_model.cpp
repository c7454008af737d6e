#include "kinds/effect/effect_model.h"

#include <cmath>

#include "format/layer_loader.h"
#include "format/metadata_checks.h"
#include "util/denormal_guard.h"

namespace rt_synth::effect {

Error EffectConfig::read(const ModelFile& f, EffectConfig& c) noexcept {
  using namespace metadata;
  try {
    c.name = f.get_string_or("rt_synth.name", "");
    if (Error e = f.get_string("rt_synth.effect.arch", c.arch)) return e;
    if (c.arch != "lstm" && c.arch != "wavenet")
      return make_error(ErrorCode::kUnsupported, f.name() + ": effect architecture '" + c.arch +
                                                     "' is not one this core plays (it plays 'lstm' and 'wavenet')");
    if (Error e = readU32(f, "rt_synth.sample_rate", 8000, 384000, c.sample_rate)) return e;
    if (c.arch == "lstm") {
      if (Error e = readU32(f, "rt_synth.effect.hidden_size", 1, 512, c.hidden_size)) return e;
      if (Error e = readU32(f, "rt_synth.effect.num_layers", 1, 4, c.num_layers)) return e;
      uint32_t skip = 1;
      if (Error e = readU32(f, "rt_synth.effect.skip", 0, 1, skip)) return e;
      c.skip = skip != 0;
    }
    if (Error e = readUint(f, "rt_synth.parameters", 0, uint64_t(1) << 40, c.parameters, false)) return e;
    c.knobs.clear();
    if (f.has("rt_synth.effect.knobs.names")) {
      const GgufValue* names = f.find("rt_synth.effect.knobs.names");
      if (names->type != GgufType::kArray || names->strings.size() != names->array_count ||
          names->array_count < 1 || names->array_count > EffectConfig::kMaxKnobs)
        return make_error(ErrorCode::kBadValue, f.name() + ": rt_synth.effect.knobs.names must be an array of 1.." +
                                                    std::to_string(EffectConfig::kMaxKnobs) + " strings");
      const std::size_t K = names->strings.size();
      const char* keys[3] = {"rt_synth.effect.knobs.min", "rt_synth.effect.knobs.max", "rt_synth.effect.knobs.default"};
      const GgufValue* cols[3];
      for (int j = 0; j < 3; ++j) {
        cols[j] = f.find(keys[j]);
        if (!cols[j] || cols[j]->type != GgufType::kArray || cols[j]->numbers.size() != K)
          return make_error(ErrorCode::kBadValue, f.name() + ": " + keys[j] + " must be an array of " +
                                                      std::to_string(K) + " numbers (one per knob)");
      }
      for (std::size_t k = 0; k < K; ++k) {
        KnobInfo kn{names->strings[k], float(cols[0]->numbers[k]), float(cols[1]->numbers[k]),
                    float(cols[2]->numbers[k])};
        if (kn.name.empty() || !std::isfinite(kn.min) || !std::isfinite(kn.max) || !(kn.max > kn.min) ||
            !(kn.def >= kn.min && kn.def <= kn.max))
          return make_error(ErrorCode::kBadValue, f.name() + ": knob " + std::to_string(k) + " ('" + kn.name +
                                                      "') needs a name, finite min < max and min <= default <= max");
        for (const KnobInfo& o : c.knobs)
          if (o.name == kn.name)
            return make_error(ErrorCode::kBadValue, f.name() + ": two knobs are named '" + kn.name + "'");
        c.knobs.push_back(kn);
      }
    }
    uint32_t latency = 0;
    if (Error e = readU32(f, "rt_synth.latency_samples", 0, 0, latency)) return e;
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory reading the effect config");
  }
  return Error::none();
}

Error EffectModel::fromFile(const ModelFile& file, std::unique_ptr<EffectModel>& out) noexcept {
  try {
    auto m = std::unique_ptr<EffectModel>(new EffectModel());
    if (Error e = EffectConfig::read(file, m->cfg_)) return e;
    const int K = static_cast<int>(m->cfg_.knobs.size());
    for (int k = 0; k < EffectConfig::kMaxKnobs; ++k)
      m->knob_value_[k].store(k < K ? m->cfg_.knobs[k].def : 0.f, std::memory_order_relaxed);
    m->readKnobs();
    if (m->cfg_.arch == "wavenet") {
      m->wavenet_ = std::make_unique<WaveNet>();
      if (Error e = m->wavenet_->load(file, K)) return e;
      out = std::move(m);
      return Error::none();
    }
    const int G = static_cast<int>(m->cfg_.hidden_size);
    m->lstm_.resize(m->cfg_.num_layers);
    for (std::size_t k = 0; k < m->lstm_.size(); ++k) {
      const std::string p = "lstm.l" + std::to_string(k);
      if (Error e = load_lstm(file, p, k == 0 ? 1 + K : G, G, m->lstm_[k])) return e;
      // optional learned initial state (a Neural Amp Modeler LSTM); absent = zeros
      const float* init[2] = {nullptr, nullptr};
      const char* names[2] = {".h0", ".c0"};
      for (int s = 0; s < 2; ++s) {
        if (!file.has_tensor(p + names[s])) continue;
        TensorView v;
        if (Error e = file.tensor(p + names[s], {G}, v)) return e;
        init[s] = v.data;
      }
      if (init[0] || init[1])
        if (Error e = m->lstm_[k].set_initial_state(init[0], init[1])) return e;
    }
    if (Error e = load_linear(file, "head", 1, G, m->head_)) return e;
    out = std::move(m);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the effect model");
  }
}

int EffectModel::knobIndex(const std::string& name) const noexcept {
  for (std::size_t k = 0; k < cfg_.knobs.size(); ++k)
    if (cfg_.knobs[k].name == name) return static_cast<int>(k);
  return -1;
}

bool EffectModel::setKnob(int index, float value) noexcept {
  if (index < 0 || index >= knobCount() || value != value) return false;
  const KnobInfo& k = cfg_.knobs[static_cast<std::size_t>(index)];
  knob_value_[index].store(std::fmin(std::fmax(value, k.min), k.max), std::memory_order_relaxed);
  return true;
}

float EffectModel::knob(int index) const noexcept {
  if (index < 0 || index >= knobCount()) return 0.f;
  return knob_value_[index].load(std::memory_order_relaxed);
}

void EffectModel::readKnobs() noexcept {
  for (int k = 0; k < knobCount(); ++k) {
    const KnobInfo& kn = cfg_.knobs[static_cast<std::size_t>(k)];
    knob_norm_[k] = (knob_value_[k].load(std::memory_order_relaxed) - kn.min) / (kn.max - kn.min);
  }
}

Error EffectModel::load(const std::string& path, std::unique_ptr<EffectModel>& out) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  return fromFile(file, out);
}

Error EffectModel::prepare() noexcept {
  prepared_ = false;
  if (wavenet_) {
    prepared_ = true;
    reset();
    return Error::none();
  }
  try {
    for (LSTM& l : lstm_)
      if (Error e = l.prepare(1)) return e;
    h_.assign(cfg_.hidden_size, 0.f);
    x_.assign(1 + cfg_.knobs.size(), 0.f);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "EffectModel: out of memory in prepare");
  }
  prepared_ = true;
  reset();
  return Error::none();
}

void EffectModel::reset() noexcept {
  if (wavenet_) {
    DenormalGuard guard;
    readKnobs();
    wavenet_->setKnobs(knob_norm_);
    wavenet_->reset();  // silence at the knobs of now; process() warms again if they move first
    for (int k = 0; k < knobCount(); ++k) warm_knobs_[k] = knob_norm_[k];
  }
  fresh_ = true;
  for (LSTM& l : lstm_) l.reset();  // to the file's initial state (zeros unless it has one)
}

void EffectModel::process(const float* in, float* out, int n) noexcept {
  if (!prepared_ || n <= 0) return;
  DenormalGuard guard;
  readKnobs();  // the knobs of this whole block
  if (wavenet_) {
    wavenet_->setKnobs(knob_norm_);
    if (fresh_) {  // silence's history at the knobs of the first block (as PyTorch pads)
      bool moved = false;
      for (int k = 0; k < knobCount(); ++k) moved |= warm_knobs_[k] != knob_norm_[k];
      if (moved) {
        wavenet_->reset();
        for (int k = 0; k < knobCount(); ++k) warm_knobs_[k] = knob_norm_[k];
      }
    }
    fresh_ = false;
    for (int i = 0; i < n;) {  // sanitise in chunks into the output, then run in place
      const int k = n - i < WaveNet::kChunk ? n - i : WaveNet::kChunk;
      float xs[WaveNet::kChunk];
      for (int t = 0; t < k; ++t) {
        const float v = in[i + t];
        xs[t] = (v == v) ? std::fmin(std::fmax(v, -kInputBound), kInputBound) : 0.f;
      }
      wavenet_->process(xs, out + i, k);
      for (int t = 0; t < k; ++t) {
        const float y = out[i + t];
        out[i + t] = (y == y) ? std::fmin(std::fmax(y, -kOutputBound), kOutputBound) : 0.f;
      }
      i += k;
    }
    return;
  }
  fresh_ = false;
  float* xk = x_.data();  // [audio, knobs]
  for (int k = 0; k < knobCount(); ++k) xk[1 + k] = knob_norm_[k];
  for (int t = 0; t < n; ++t) {
    float x = in[t];
    x = (x == x) ? std::fmin(std::fmax(x, -kInputBound), kInputBound) : 0.f;
    xk[0] = x;
    const float* layer_in = xk;
    for (LSTM& l : lstm_) {
      l.step(layer_in, h_.data(), 1);
      layer_in = h_.data();
    }
    float y = 0.f;
    head_.forward(h_.data(), &y, 1);
    if (cfg_.skip) y += x;
    out[t] = (y == y) ? std::fmin(std::fmax(y, -kOutputBound), kOutputBound) : 0.f;
  }
}

}  // namespace rt_synth::effect
