#include "layers/linear.h"

#include <string>

namespace rt_synth {

Error Linear::set_weights(const float* weight, const float* bias, int out_features, int in_features) noexcept {
  if (!weight || out_features <= 0 || in_features <= 0)
    return make_error(ErrorCode::kInvalidArgument, "Linear: need a weight and positive sizes");
  if (!w_.pack(weight, bias, out_features, in_features))
    return make_error(ErrorCode::kTooLarge, "Linear: cannot allocate " + std::to_string(out_features) + "x" +
                                                std::to_string(in_features) + " weights");
  return Error::none();
}

}  // namespace rt_synth
