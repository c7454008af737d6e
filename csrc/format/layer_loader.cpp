#include "format/layer_loader.h"

#include <vector>

namespace rt_synth {
namespace {

// Returns the tensor's data (nullptr when optional and absent) or an error.
Error fetch(const ModelFile& f, const std::string& name, const std::vector<int64_t>& shape, Bias need,
            const float*& out) noexcept {
  out = nullptr;
  if (need == Bias::kNone) return Error::none();
  if (need == Bias::kOptional && !f.has_tensor(name)) return Error::none();
  TensorView v;
  Error e = f.tensor(name, shape, v);
  if (e) return e;
  out = v.data;
  return Error::none();
}

Error context(Error e, const ModelFile& f, const std::string& prefix) noexcept {
  if (!e || e.code == ErrorCode::kMissingKey || e.code == ErrorCode::kBadShape) return e;
  return make_error(e.code, f.name() + ": layer '" + prefix + "': " + e.message);
}

}  // namespace

Error load_linear(const ModelFile& f, const std::string& p, int out, int in, Linear& layer, Bias bias) noexcept {
  const float *w, *b;
  if (Error e = fetch(f, p + ".weight", {out, in}, Bias::kRequired, w)) return e;
  if (Error e = fetch(f, p + ".bias", {out}, bias, b)) return e;
  return context(layer.set_weights(w, b, out, in), f, p);
}

Error load_layer_norm(const ModelFile& f, const std::string& p, int n, LayerNorm& layer, float eps) noexcept {
  const float *g, *b;
  if (Error e = fetch(f, p + ".weight", {n}, Bias::kRequired, g)) return e;
  if (Error e = fetch(f, p + ".bias", {n}, Bias::kRequired, b)) return e;
  return context(layer.set_weights(g, b, n, eps), f, p);
}

Error load_gru(const ModelFile& f, const std::string& p, int in, int hid, GRU& layer) noexcept {
  const float *wih, *whh, *bih, *bhh;
  if (Error e = fetch(f, p + ".weight_ih", {3 * hid, in}, Bias::kRequired, wih)) return e;
  if (Error e = fetch(f, p + ".weight_hh", {3 * hid, hid}, Bias::kRequired, whh)) return e;
  if (Error e = fetch(f, p + ".bias_ih", {3 * hid}, Bias::kRequired, bih)) return e;
  if (Error e = fetch(f, p + ".bias_hh", {3 * hid}, Bias::kRequired, bhh)) return e;
  return context(layer.set_weights(wih, whh, bih, bhh, in, hid), f, p);
}

Error load_lstm(const ModelFile& f, const std::string& p, int in, int hid, LSTM& layer) noexcept {
  const float *wih, *whh, *bih, *bhh;
  if (Error e = fetch(f, p + ".weight_ih", {4 * hid, in}, Bias::kRequired, wih)) return e;
  if (Error e = fetch(f, p + ".weight_hh", {4 * hid, hid}, Bias::kRequired, whh)) return e;
  if (Error e = fetch(f, p + ".bias_ih", {4 * hid}, Bias::kRequired, bih)) return e;
  if (Error e = fetch(f, p + ".bias_hh", {4 * hid}, Bias::kRequired, bhh)) return e;
  return context(layer.set_weights(wih, whh, bih, bhh, in, hid), f, p);
}

Error load_conv1d(const ModelFile& f, const std::string& p, int cout, int cin, int k, int stride, int dilation,
                  CachedConv1d& layer, Bias bias) noexcept {
  const float *w, *b;
  if (Error e = fetch(f, p + ".weight", {cout, cin, k}, Bias::kRequired, w)) return e;
  if (Error e = fetch(f, p + ".bias", {cout}, bias, b)) return e;
  return context(layer.set_weights(w, b, cout, cin, k, stride, dilation), f, p);
}

Error load_conv_transpose1d(const ModelFile& f, const std::string& p, int cin, int cout, int k, int stride,
                            CachedConvTranspose1d& layer, Bias bias) noexcept {
  const float *w, *b;
  if (Error e = fetch(f, p + ".weight", {cin, cout, k}, Bias::kRequired, w)) return e;
  if (Error e = fetch(f, p + ".bias", {cout}, bias, b)) return e;
  return context(layer.set_weights(w, b, cin, cout, k, stride), f, p);
}

}  // namespace rt_synth
