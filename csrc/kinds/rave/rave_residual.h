// Residual unit of the RAVE encoder and decoder (docs/rave.md §3):
//     y = x + mix_1x1(lrelu(conv_k,d(lrelu(x))))
// Both convolutions are causal with zero delay (CachedConv1d emits output t in the block of
// input t), so the branch is aligned with the skip frame for frame: no delay line needed.
#pragma once
#include <string>

#include "format/model_file.h"
#include "layers/cached_conv1d.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

class RaveResidualUnit {
 public:
  // Tensors "{prefix}.conv.conv.*" [C, C, k] and "{prefix}.mix.conv.*" [C, C, 1]. Allocates.
  Error load(const ModelFile& f, const std::string& prefix, int channels, int kernel, int dilation,
             float slope) noexcept;
  Error prepare(int max_frames) noexcept;  // allocates
  void reset() noexcept;
  // x [C][n] (channel-major, row stride n), updated in place; n ≤ max_frames. Real-time safe.
  void process(float* x, int n) noexcept;

 private:
  CachedConv1d conv_, mix_;
  AlignedBuffer<float> a_, b_;
  int channels_ = 0;
  float slope_ = 0.2f;
};

}  // namespace rt_synth
