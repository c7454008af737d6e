// The C ABI's shared pieces for the kinds' sessions (kind_session.h).
#include "capi/kind_session.h"

#include <algorithm>
#include <cstring>

namespace rt_synth::capi {

namespace {
thread_local std::string g_last_error;
}

rt_synth_status fail(rt_synth_status s, const std::string& msg) noexcept {
  try {
    g_last_error = msg;
  } catch (...) {
  }
  return s;
}

rt_synth_status fail(const Error& e) noexcept {
  rt_synth_status s = RT_SYNTH_ERR_BAD_MODEL;
  switch (e.code) {
    case ErrorCode::kOk: s = RT_SYNTH_OK; break;
    case ErrorCode::kIoError: s = RT_SYNTH_ERR_IO; break;
    case ErrorCode::kBadVersion: s = RT_SYNTH_ERR_VERSION; break;
    case ErrorCode::kUnsupported: s = RT_SYNTH_ERR_UNSUPPORTED; break;
    case ErrorCode::kInvalidArgument: s = RT_SYNTH_ERR_INVALID_ARGUMENT; break;
    default: break;
  }
  return fail(s, error_message(e));
}

const char* lastError() noexcept { return g_last_error.c_str(); }

ParamDesc ceilingParam() {
  return {kOutputCeilingDb, "output_ceiling_db", OutputLimiter::kMinCeilingDb, OutputLimiter::kMaxCeilingDb,
          OutputLimiter::kDefaultCeilingDb};
}

bool MonoIO::allocate(int max_block) {
  max_block_ = 0;
  if (!mono_in_.allocate(static_cast<size_t>(max_block)) || !mono_out_.allocate(static_cast<size_t>(max_block)))
    return false;
  max_block_ = max_block;
  return true;
}

const float* MonoIO::mix(const float* const* in, int32_t channels, int32_t done, int m) noexcept {
  float* mix = mono_in_.data();
  if (in && channels == 1 && in[0]) return in[0] + done;
  std::memset(mix, 0, sizeof(float) * static_cast<size_t>(m));
  if (!in) return mix;
  int k = 0;
  for (int c = 0; c < channels; ++c) {
    if (!in[c]) continue;
    ++k;
    for (int i = 0; i < m; ++i) mix[i] += in[c][done + i];
  }
  if (k > 1) {
    const float g = 1.f / static_cast<float>(k);
    for (int i = 0; i < m; ++i) mix[i] *= g;
  }
  return mix;
}

void MonoIO::copyOut(float* const* out, int32_t channels, int32_t done, int m) noexcept {
  for (int c = 0; c < channels; ++c)
    std::memcpy(out[c] + done, mono_out_.data(), sizeof(float) * static_cast<size_t>(m));
}

}  // namespace rt_synth::capi
