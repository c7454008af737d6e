#pragma once
// What a model kind gives the C ABI (csrc/capi/rt_synth.h): one KindSession per handle, made
// by the kind's open function, which the kind registers once in kind_registry.cpp. The C
// functions check their arguments, keep the handle's metadata and delegate the rest here, so a
// kind's whole C face lives in its own folder (csrc/kinds/KIND/KIND_capi.cpp;
// docs/model-kinds.md "How to add a kind").
//
// Threading is the C ABI's: prepare() is [SETUP]; process(), reset() are [RT]; setParam(),
// param() and sendMidi() are [ANY] (lock-free or atomic).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capi/rt_synth.h"
#include "dsp/output_limiter.h"
#include "format/model_file.h"
#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth::capi {

struct ParamDesc {
  int32_t id;
  std::string name;
  float min, max, def;
};

// The safety stage's ceiling (docs/safety.md): one id for every kind's audio path.
constexpr int32_t kOutputCeilingDb = 4000;
ParamDesc ceilingParam();

constexpr int kMaxChannels = 64;

// The options rt_synth_open_* resolved (rt_synth_options, defaults applied, range-checked).
struct OpenOptions {
  static constexpr int32_t kMaxVoices = 32;  // rt_synth_options.max_voices: 1..kMaxVoices
  int32_t method = RT_SYNTH_METHOD_SYNTH;
  int32_t max_voices = 8;
};

class KindSession {
 public:
  virtual ~KindSession() = default;

  // Set by the kind's open function.
  std::string name;
  int32_t method = RT_SYNTH_METHOD_SYNTH;  // the method this handle runs
  int32_t model_rate = 48000;
  int32_t hop = 1;                          // samples per model frame
  std::vector<ParamDesc> params;            // ids stable per kind; the ceiling is kOutputCeilingDb

  virtual int32_t methodCount() const noexcept = 0;
  virtual void methodInfo(int32_t index, rt_synth_method_info& out) const noexcept = 0;

  // value already clamped to the parameter's range, id one of `params`.
  virtual rt_synth_status setParam(int32_t id, float value) noexcept = 0;
  virtual float param(int32_t id) const noexcept = 0;

  // [SETUP] host_rate a whole number of Hz, max_block >= 1, channels 1..64 (a method whose
  // channel counts are its own may overwrite it). Failure: return fail(...) (sets the message).
  virtual rt_synth_status prepare(int host_rate, int max_block, int32_t& channels) = 0;
  virtual int32_t latency() const noexcept = 0;  // host samples, after prepare
  virtual double latencySeconds() const noexcept = 0;

  // [RT] n in 1..any (the session splits it), out: `channels` non-null pointers.
  virtual rt_synth_status process(const float* const* in, float* const* out, int32_t channels,
                                  int32_t n) noexcept = 0;
  virtual void reset() noexcept = 0;
  virtual rt_synth_status sendMidi(const uint8_t*, int32_t, int32_t) noexcept { return RT_SYNTH_ERR_UNSUPPORTED; }

  const ParamDesc* findParam(int32_t id) const noexcept {
    for (const ParamDesc& p : params)
      if (p.id == id) return &p;
    return nullptr;
  }
};

// A kind's open function: builds the session for opt.method, or returns a failure status with
// the message set through fail() (naming the file, the field, what was expected).
using OpenSessionFn = rt_synth_status (*)(ModelFile& file, const OpenOptions& opt,
                                          std::unique_ptr<KindSession>& out);

// Records msg as this thread's last error ([SETUP] paths only) and returns s.
rt_synth_status fail(rt_synth_status s, const std::string& msg) noexcept;
rt_synth_status fail(const Error& e) noexcept;
const char* lastError() noexcept;

// Buffers and steps shared by the sessions whose methods read one audio input (mixed down from
// `channels`) and write one mono output (copied to every channel). [RT] apart from allocate().
class MonoIO {
 public:
  bool allocate(int max_block);
  int maxBlock() const noexcept { return max_block_; }
  // in[0..channels) averaged (null pointers skipped; null `in` is silence) for [done, done+m).
  const float* mix(const float* const* in, int32_t channels, int32_t done, int m) noexcept;
  float* mono() noexcept { return mono_out_.data(); }
  void copyOut(float* const* out, int32_t channels, int32_t done, int m) noexcept;

 private:
  AlignedBuffer<float> mono_in_, mono_out_;
  int max_block_ = 0;
};

}  // namespace rt_synth::capi
