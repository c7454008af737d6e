#include "kinds/ddsp/ddsp_network.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "layers/activations.h"

namespace rt_synth {

namespace {
constexpr float kLeakySlope = 0.01f;

Error tensorOf(const ModelFile& f, const std::string& name, std::vector<int64_t> shape,
               const float** data) {
  TensorView v;
  if (Error e = f.tensor(name, shape, v)) return e;
  *data = v.data;
  return Error::none();
}
}  // namespace

Error DDSPNetwork::loadMLP(const ModelFile& f, const char* prefix, int in, MLP& mlp) noexcept {
  try {
    const int L = static_cast<int>(cfg_.mlp_layers);
    mlp.linear.assign(L, Linear());
    mlp.norm.assign(L, LayerNorm());
    for (int i = 0; i < L; ++i) {
      const std::string p = std::string(prefix) + "." + std::to_string(i) + ".";
      const int fan_in = i == 0 ? in : hd_;
      const float *w, *b, *g, *beta;
      if (Error e = tensorOf(f, p + "linear.weight", {hd_, fan_in}, &w)) return e;
      if (Error e = tensorOf(f, p + "linear.bias", {hd_}, &b)) return e;
      if (Error e = tensorOf(f, p + "norm.weight", {hd_}, &g)) return e;
      if (Error e = tensorOf(f, p + "norm.bias", {hd_}, &beta)) return e;
      if (Error e = mlp.linear[i].set_weights(w, b, hd_, fan_in)) return e;
      if (Error e = mlp.norm[i].set_weights(g, beta, hd_)) return e;
    }
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory building " + prefix);
  }
}

Error DDSPNetwork::load(const ModelFile& f, const DDSPConfig& c) noexcept {
  cfg_ = c;
  hd_ = static_cast<int>(c.hidden_size);
  g_ = static_cast<int>(c.gru_size);
  n_out_ = c.numOutputs();
  if (Error e = loadMLP(f, "mlp_f", 1, mlp_f_)) return e;
  if (Error e = loadMLP(f, "mlp_l", 1, mlp_l_)) return e;
  if (Error e = loadMLP(f, "mlp_o", g_ + 2 * hd_, mlp_o_)) return e;
  const float *wih, *whh, *bih, *bhh, *hw, *hb;
  if (Error e = tensorOf(f, "gru.weight_ih", {3 * g_, 2 * hd_}, &wih)) return e;
  if (Error e = tensorOf(f, "gru.weight_hh", {3 * g_, g_}, &whh)) return e;
  if (Error e = tensorOf(f, "gru.bias_ih", {3 * g_}, &bih)) return e;
  if (Error e = tensorOf(f, "gru.bias_hh", {3 * g_}, &bhh)) return e;
  if (Error e = gru_.set_weights(wih, whh, bih, bhh, 2 * hd_, g_)) return e;
  if (Error e = tensorOf(f, "head.weight", {n_out_, hd_}, &hw)) return e;
  if (Error e = tensorOf(f, "head.bias", {n_out_}, &hb)) return e;
  if (Error e = head_.set_weights(hw, hb, n_out_, hd_)) return e;
  return Error::none();
}

Error DDSPNetwork::prepare(int max_voices) noexcept {
  if (max_voices < 1 || max_voices > 1024)
    return make_error(ErrorCode::kInvalidArgument, "DDSPNetwork: max_voices must be in 1..1024");
  max_voices_ = max_voices;
  const std::size_t V = static_cast<std::size_t>(max_voices);
  const std::size_t H = hd_, G = g_;
  bool ok = in_f_.allocate(V) && in_l_.allocate(V) && xf_.allocate(V * H) && xl_.allocate(V * H) &&
            gru_in_.allocate(V * 2 * H) && cat_.allocate(V * (G + 2 * H)) &&
            tmp_a_.allocate(V * H) && tmp_b_.allocate(V * H);
  if (!ok) return make_error(ErrorCode::kTooLarge, "DDSPNetwork: out of memory in prepare");
  if (Error e = gru_.prepare(max_voices)) return e;
  reset();
  return Error::none();
}

void DDSPNetwork::reset() noexcept { gru_.reset(); }
void DDSPNetwork::resetVoice(int v) noexcept { gru_.reset_voice(v); }

void DDSPNetwork::runMLP(const MLP& mlp, const float* in, float* out, int batch) noexcept {
  const float* cur = in;
  const int L = static_cast<int>(mlp.linear.size());
  for (int i = 0; i < L; ++i) {
    float* dst = i == L - 1 ? out : (i % 2 == 0 ? tmp_a_.data() : tmp_b_.data());
    mlp.linear[i].forward(cur, dst, batch);
    mlp.norm[i].forward(dst, dst, batch);
    leaky_relu_inplace(dst, batch * hd_, kLeakySlope);
    cur = dst;
  }
}

void DDSPNetwork::step(const float* f0_hz, const float* loudness_db, float* raw, int batch) noexcept {
  if (batch <= 0) return;
  batch = std::min(batch, max_voices_);
  // Normalise (§7): clamp to the control ranges, f0 to MIDI, standardise. NaN is mapped to
  // the low end here as a last line of defence (callers substitute the previous value).
  for (int v = 0; v < batch; ++v) {
    double f0 = f0_hz[v], ld = loudness_db[v];
    f0 = f0 >= cfg_.f0_min_hz ? std::min<double>(f0, cfg_.f0_max_hz) : cfg_.f0_min_hz;
    ld = ld >= cfg_.loudness_min_db ? std::min<double>(ld, cfg_.loudness_max_db) : cfg_.loudness_min_db;
    const double midi = 69.0 + 12.0 * std::log2(f0 / 440.0);
    in_f_[v] = static_cast<float>((midi - cfg_.f0_midi_mean) / cfg_.f0_midi_std);
    in_l_[v] = static_cast<float>((ld - cfg_.loudness_mean) / cfg_.loudness_std);
  }
  const std::size_t H = hd_, G = g_, C = G + 2 * H;
  runMLP(mlp_f_, in_f_.data(), xf_.data(), batch);
  runMLP(mlp_l_, in_l_.data(), xl_.data(), batch);
  for (int v = 0; v < batch; ++v) {
    float* gi = gru_in_.data() + v * 2 * H;
    std::memcpy(gi, xf_.data() + v * H, H * sizeof(float));
    std::memcpy(gi + H, xl_.data() + v * H, H * sizeof(float));
  }
  gru_.step(gru_in_.data(), nullptr, batch);
  const float* h = gru_.hidden();
  for (int v = 0; v < batch; ++v) {
    float* c = cat_.data() + v * C;
    std::memcpy(c, h + v * G, G * sizeof(float));
    std::memcpy(c + G, gru_in_.data() + v * 2 * H, 2 * H * sizeof(float));
  }
  // mlp_o's output goes to xf_ (free now), then the head.
  runMLP(mlp_o_, cat_.data(), xf_.data(), batch);
  head_.forward(xf_.data(), raw, batch);
}

void DDSPNetwork::swapRows(int first, int count) noexcept {
  if (first == 0 || count <= 0) return;
  float* h = gru_.hidden();
  const std::size_t G = g_;
  for (int v = 0; v < count; ++v) {
    float* a = h + v * G;
    float* b = h + (first + v) * G;
    for (std::size_t i = 0; i < G; ++i) std::swap(a[i], b[i]);
  }
}

void DDSPNetwork::stepGroup(int first, const float* f0_hz, const float* loudness_db, float* raw, int batch) noexcept {
  if (batch <= 0 || first < 0 || first + batch > max_voices_) return;
  // The GRU steps slots 0..batch-1: bring the group's states there and back (first >= batch
  // or first == 0, so the two ranges never overlap).
  swapRows(first, batch);
  step(f0_hz, loudness_db, raw, batch);
  swapRows(first, batch);
}

}  // namespace rt_synth
