#pragma once
// Weight loading, kept apart from the layers: each function reads a layer's tensors from a
// ModelFile by name prefix, checks every shape against the sizes the caller expects (the
// hyperparameters stored in the file), and hands the weights to the layer. Set-up only.
// Tensor names follow PyTorch's state_dict: "{prefix}.weight", "{prefix}.bias"; a GRU
// and an LSTM use "{prefix}.weight_ih", ".weight_hh", ".bias_ih", ".bias_hh" (docs/model-format.md).
#include <string>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "layers/cached_conv_transpose1d.h"
#include "layers/gru.h"
#include "layers/lstm.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "util/error.h"

namespace rt_synth {

enum class Bias { kRequired, kOptional, kNone };

Error load_linear(const ModelFile& f, const std::string& prefix, int out_features, int in_features, Linear& layer,
                  Bias bias = Bias::kRequired) noexcept;
Error load_layer_norm(const ModelFile& f, const std::string& prefix, int features, LayerNorm& layer,
                      float eps = 1e-5f) noexcept;
Error load_gru(const ModelFile& f, const std::string& prefix, int input_size, int hidden_size, GRU& layer) noexcept;
// "{prefix}.weight_ih" [4G][in], ".weight_hh" [4G][G], ".bias_ih", ".bias_hh" [4G].
Error load_lstm(const ModelFile& f, const std::string& prefix, int input_size, int hidden_size, LSTM& layer) noexcept;
Error load_conv1d(const ModelFile& f, const std::string& prefix, int out_channels, int in_channels, int kernel_size,
                  int stride, int dilation, CachedConv1d& layer, Bias bias = Bias::kRequired) noexcept;
Error load_conv_transpose1d(const ModelFile& f, const std::string& prefix, int in_channels, int out_channels,
                            int kernel_size, int stride, CachedConvTranspose1d& layer,
                            Bias bias = Bias::kRequired) noexcept;

}  // namespace rt_synth
