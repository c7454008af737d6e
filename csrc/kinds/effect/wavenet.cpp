#include "kinds/effect/wavenet.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/layer_loader.h"
#include "format/metadata_checks.h"

namespace rt_synth::effect {

namespace {

inline void activate(int act, float* x, int n) noexcept {
  switch (act) {
    case 0: kernels::tanh_inplace(x, n); break;
    case 1: for (int i = 0; i < n; ++i) x[i] = std::fmax(x[i], 0.f); break;
    case 2: kernels::sigmoid_inplace(x, n); break;
    default: for (int i = 0; i < n; ++i) x[i] = std::fmin(std::fmax(x[i], -1.f), 1.f); break;
  }
}

}  // namespace

Error WaveNet::readConfig(const ModelFile& f, std::vector<WaveNetArrayConfig>& arrays, float& head_scale) noexcept {
  using namespace metadata;
  try {
    uint32_t count = 0;
    if (Error e = readU32(f, "rt_synth.effect.wavenet.arrays", 1, kMaxArrays, count)) return e;
    if (Error e = readFloat(f, "rt_synth.effect.wavenet.head_scale", -1e3, 1e3, head_scale)) return e;
    arrays.assign(count, {});
    for (uint32_t a = 0; a < count; ++a) {
      const std::string p = "rt_synth.effect.wavenet." + std::to_string(a) + ".";
      WaveNetArrayConfig& c = arrays[a];
      if (Error e = readInt(f, p + "input_size", 1, 256, c.input_size)) return e;
      if (Error e = readInt(f, p + "condition_size", 1, 17, c.condition_size)) return e;
      if (c.condition_size != arrays[0].condition_size)
        return outOfRange(f, p + "condition_size", std::to_string(c.condition_size),
                          std::to_string(arrays[0].condition_size) + " (every array reads the same condition)");
      if (Error e = readInt(f, p + "head_size", 1, 256, c.head_size)) return e;
      if (Error e = readInt(f, p + "channels", 1, 256, c.channels)) return e;
      if (Error e = readInt(f, p + "kernel_size", 1, 16, c.kernel_size)) return e;
      if (Error e = readIntArray(f, p + "dilations", 1, 4096, 1, 64, c.dilations)) return e;
      if (Error e = f.get_string(p + "activation", c.activation)) return e;
      uint32_t gated = 0, head_bias = 0;
      if (Error e = readU32(f, p + "gated", 0, 1, gated)) return e;
      if (Error e = readU32(f, p + "head_bias", 0, 1, head_bias)) return e;
      c.gated = gated != 0;
      c.head_bias = head_bias != 0;
      if (c.activation != "Tanh" && c.activation != "ReLU" && c.activation != "Sigmoid" && c.activation != "Hardtanh")
        return outOfRange(f, p + "activation", c.activation, "Tanh, ReLU, Sigmoid, Hardtanh");
      const int expect_in = a == 0 ? 1 : arrays[a - 1].channels;
      if (c.input_size != expect_in)
        return outOfRange(f, p + "input_size", std::to_string(c.input_size), std::to_string(expect_in) + " (the stream it reads)");
      if (a > 0 && arrays[a - 1].head_size != c.channels)
        return outOfRange(f, p + "channels", std::to_string(c.channels),
                          std::to_string(arrays[a - 1].head_size) + " (the head it continues)");
    }
    if (arrays.back().head_size != 1)
      return outOfRange(f, "rt_synth.effect.wavenet." + std::to_string(count - 1) + ".head_size",
                        std::to_string(arrays.back().head_size), "1 (mono out)");
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory reading the WaveNet config");
  }
  return Error::none();
}

Error WaveNet::load(const ModelFile& f, int knobs) noexcept {
  std::vector<WaveNetArrayConfig> cfgs;
  if (Error e = readConfig(f, cfgs, head_scale_)) return e;
  if (cfgs[0].condition_size != 1 + knobs)
    return metadata::outOfRange(f, "rt_synth.effect.wavenet.0.condition_size", std::to_string(cfgs[0].condition_size),
                                std::to_string(1 + knobs) + " (the audio and the file's " + std::to_string(knobs) +
                                    " knobs)");
  knobs_ = knobs;
  for (float& v : knob_) v = 0.f;
  try {
    arrays_.clear();
    arrays_.resize(cfgs.size());
    receptive_field_ = 1;
    max_c_ = 1;
    for (std::size_t a = 0; a < cfgs.size(); ++a) {
      Array& A = arrays_[a];
      A.cfg = cfgs[a];
      const WaveNetArrayConfig& c = A.cfg;
      A.act = c.activation == "Tanh" ? 0 : c.activation == "ReLU" ? 1 : c.activation == "Sigmoid" ? 2 : 3;
      const std::string p = "arrays." + std::to_string(a) + ".";
      const int mid = c.gated ? 2 * c.channels : c.channels;
      max_c_ = std::max({max_c_, c.channels, c.input_size, c.head_size, mid});
      if (Error e = load_conv1d(f, p + "rechannel", c.channels, c.input_size, 1, 1, 1, A.rechannel, Bias::kNone)) return e;
      if (Error e = load_conv1d(f, p + "head_rechannel", c.head_size, c.channels, 1, 1, 1, A.head_rechannel,
                                c.head_bias ? Bias::kRequired : Bias::kNone)) return e;
      A.layers.resize(c.dilations.size());
      for (std::size_t l = 0; l < c.dilations.size(); ++l) {
        const std::string q = p + "layers." + std::to_string(l) + ".";
        Layer& L = A.layers[l];
        if (Error e = load_conv1d(f, q + "conv", mid, c.channels, c.kernel_size, 1, c.dilations[l], L.conv)) return e;
        if (Error e = load_conv1d(f, q + "input_mixer", mid, c.condition_size, 1, 1, 1, L.mixer, Bias::kNone)) return e;
        if (Error e = load_conv1d(f, q + "layer1x1", c.channels, c.channels, 1, 1, 1, L.out1x1)) return e;
        receptive_field_ += (c.kernel_size - 1) * c.dilations[l];
      }
    }
    for (Array& A : arrays_) {
      if (Error e = A.rechannel.prepare(kChunk)) return e;
      if (Error e = A.head_rechannel.prepare(kChunk)) return e;
      for (Layer& L : A.layers) {
        if (Error e = L.conv.prepare(kChunk)) return e;
        if (Error e = L.mixer.prepare(kChunk)) return e;
        if (Error e = L.out1x1.prepare(kChunk)) return e;
      }
    }
    const std::size_t sz = static_cast<std::size_t>(2 * max_c_) * kChunk;
    for (AlignedBuffer<float>* b : {&h_, &h2_, &z_, &zmix_, &a_, &head_, &head_in_, &tmp_, &zeros_})
      if (!b->allocate(sz)) return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory for the WaveNet");
    zeros_.zero();
    if (!cond_.allocate(static_cast<std::size_t>(1 + knobs_) * kChunk))
      return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory for the WaveNet");
    std::size_t state = 0;
    forEachConv([&](CachedConv1d& c) { state += c.state_size(); });
    if (!warm_.allocate(state)) return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory for the WaveNet");
    warm_valid_ = false;
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory building the WaveNet");
  }
  reset();
  return Error::none();
}

void WaveNet::setKnobs(const float* values) noexcept {
  for (int k = 0; k < knobs_; ++k) knob_[k] = values[k];
}

template <class F>
void WaveNet::forEachConv(F f) {
  for (Array& A : arrays_) {
    f(A.rechannel);
    for (Layer& L : A.layers) {
      f(L.conv);
      f(L.mixer);
      f(L.out1x1);
    }
    f(A.head_rechannel);
  }
}

void WaveNet::reset() noexcept {
  bool same = warm_valid_;
  for (int k = 0; same && k < knobs_; ++k) same = warm_knob_[k] == knob_[k];
  float* w = warm_.data();
  if (same) {  // the snapshot of silence at these knob values: a copy
    forEachConv([&](CachedConv1d& c) {
      c.load_state(w);
      w += c.state_size();
    });
    return;
  }
  forEachConv([](CachedConv1d& c) { c.reset(); });
  // pre-warm: the history silence leaves in every layer (the PyTorch model pads with zeros)
  for (int done = 0; done < receptive_field_;) {
    const int n = std::min(kChunk, receptive_field_ - done);
    chunk(zeros_.data(), tmp_.data(), n);
    done += n;
  }
  forEachConv([&](CachedConv1d& c) {
    c.save_state(w);
    w += c.state_size();
  });
  for (int k = 0; k < knobs_; ++k) warm_knob_[k] = knob_[k];
  warm_valid_ = true;
}

void WaveNet::process(const float* x, float* y, int n) noexcept {
  for (int i = 0; i < n;) {
    const int k = std::min(kChunk, n - i);
    chunk(x + i, y + i, k);
    i += k;
  }
}

void WaveNet::chunk(const float* x, float* y, int n) noexcept {
  // channel-major [C][n] rows throughout
  const float* in = x;  // array input: x for the first, the residual stream after
  float* h = h_.data();
  float* h2 = h2_.data();
  bool have_head = false;
  // the condition: [audio, knobs] rows of n (just the audio without knobs)
  const float* cond = x;
  if (knobs_ > 0) {
    float* c = cond_.data();
    std::memcpy(c, x, sizeof(float) * n);
    for (int k = 0; k < knobs_; ++k)
      for (int i = 0; i < n; ++i) c[(1 + k) * n + i] = knob_[k];
    cond = c;
  }
  for (Array& A : arrays_) {
    const WaveNetArrayConfig& c = A.cfg;
    const int C = c.channels;
    A.rechannel.process(in, h, n);  // [C][n]
    // head accumulator [C][n]: the previous array's head (its head_size == C), or zero
    if (have_head) std::memcpy(head_in_.data(), head_.data(), sizeof(float) * C * n);
    else std::memset(head_in_.data(), 0, sizeof(float) * C * n);
    for (Layer& L : A.layers) {
      float* z = z_.data();
      const int mid = c.gated ? 2 * C : C;
      L.conv.process(h, z, n);              // [mid][n]
      L.mixer.process(cond, zmix_.data(), n);  // the condition: the dry input (and knobs)
      for (int i = 0; i < mid * n; ++i) z[i] += zmix_[i];
      float* a = a_.data();
      if (c.gated) {
        std::memcpy(a, z, sizeof(float) * C * n);
        activate(A.act, a, C * n);
        kernels::sigmoid_inplace(z + C * n, C * n);
        for (int i = 0; i < C * n; ++i) a[i] *= z[C * n + i];
      } else {
        std::memcpy(a, z, sizeof(float) * C * n);
        activate(A.act, a, C * n);
      }
      L.out1x1.process(a, h2, n);  // [C][n]
      for (int i = 0; i < C * n; ++i) {
        h[i] += h2[i];
        head_in_[i] += a[i];
      }
    }
    A.head_rechannel.process(head_in_.data(), head_.data(), n);  // [head_size][n]
    have_head = true;
    in = h;
    std::swap(h, h2);  // the next array's rechannel writes into the other buffer
    // `in` keeps pointing at this array's residual stream
  }
  for (int i = 0; i < n; ++i) y[i] = head_scale_ * head_[i];
}

}  // namespace rt_synth::effect
