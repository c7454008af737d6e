// Implementation of the C ABI (csrc/capi/rt_synth.h). The functions check their arguments,
// keep the handle's metadata and hand the rest to the model kind's session (kind_session.h),
// found by the file's rt_synth.kind in kind_registry.cpp: ddsp (csrc/kinds/ddsp/ddsp_capi.cpp),
// rave (csrc/kinds/rave/rave_capi.cpp), effect (csrc/kinds/effect/effect_capi.cpp).
//
// Boundary rules: every entry point is noexcept and catches everything (a C++ exception
// never unwinds into C); [SETUP] calls record their failure in a thread-local string; [RT]
// calls only return a status (no TLS, no allocation, no lock).
#include "capi/rt_synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "capi/kind_registry.h"
#include "capi/kind_session.h"
#include "format/model_file.h"
#include "util/error.h"
#include "util/version.h"

using rt_synth::Error;
using rt_synth::ModelFile;
using rt_synth::capi::fail;
using rt_synth::capi::KindSession;
using rt_synth::capi::kMaxChannels;
using rt_synth::capi::ParamDesc;

namespace {

std::string value_text(const rt_synth::GgufValue& v) {
  using rt_synth::GgufType;
  char buf[64];
  auto num = [&](double d) {
    std::snprintf(buf, sizeof buf, "%.9g", d);
    return std::string(buf);
  };
  switch (v.type) {
    case GgufType::kUint8: case GgufType::kUint16: case GgufType::kUint32: case GgufType::kUint64:
      return std::to_string(v.u);
    case GgufType::kBool: return v.u ? "true" : "false";
    case GgufType::kInt8: case GgufType::kInt16: case GgufType::kInt32: case GgufType::kInt64:
      return std::to_string(v.i);
    case GgufType::kFloat32: case GgufType::kFloat64: return num(v.f);
    case GgufType::kString: return v.s;
    case GgufType::kArray: {
      std::string s = "[";
      const size_t shown = std::min<size_t>(16, v.numbers.size() + v.strings.size());
      for (size_t i = 0; i < shown; ++i) {
        if (i) s += ", ";
        s += i < v.numbers.size() ? num(v.numbers[i]) : v.strings[i];
      }
      if (v.array_count > shown) s += (shown ? ", ... (" : "... (") + std::to_string(v.array_count) + " items)";
      return s + "]";
    }
  }
  return "";
}

}  // namespace

struct rt_synth_handle {
  std::unique_ptr<KindSession> session;
  std::string kind;
  std::vector<std::pair<std::string, std::string>> meta;
  // Set by prepare.
  bool prepared = false;
  int32_t channels = 1;
};

namespace {

rt_synth_status open_from(ModelFile& file, const rt_synth_options* opt_in, rt_synth_handle** out) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  if (opt_in) {
    if (opt_in->struct_size < sizeof(uint32_t) + 2 * sizeof(int32_t))
      return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_options.struct_size is too small (call rt_synth_options_init)");
    opt.method = opt_in->method;
    opt.max_voices = opt_in->max_voices;
  }
  if (opt.method < RT_SYNTH_METHOD_SYNTH || opt.method > RT_SYNTH_METHOD_DECODE)
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "unknown method " + std::to_string(opt.method) +
                                                   " (0 synth, 1 transfer, 2 controls, 3 forward, 4 encode, 5 decode)");
  if (opt.max_voices < 1 || opt.max_voices > rt_synth::capi::OpenOptions::kMaxVoices)
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "max_voices must be in 1..32, got " + std::to_string(opt.max_voices));

  auto h = std::make_unique<rt_synth_handle>();
  h->kind = file.get_string_or("rt_synth.kind", "");
  const rt_synth::capi::OpenSessionFn open = rt_synth::capi::findKind(h->kind);
  if (!open)
    return fail(RT_SYNTH_ERR_UNSUPPORTED, file.name() + ": model kind '" + h->kind +
                                              "' is not playable by this build (it plays " +
                                              rt_synth::capi::kindNames() + ")");
  rt_synth::capi::OpenOptions o;
  o.method = opt.method;
  o.max_voices = opt.max_voices;
  if (rt_synth_status s = open(file, o, h->session)) return s;
  for (const std::string& k : file.keys())
    if (const rt_synth::GgufValue* v = file.find(k)) h->meta.emplace_back(k, value_text(*v));
  *out = h.release();
  return RT_SYNTH_OK;
}

}  // namespace

extern "C" {

uint32_t rt_synth_abi_version(void) { return RT_SYNTH_ABI_VERSION; }
const char* rt_synth_version(void) { return rt_synth::kVersion; }

const char* rt_synth_status_string(rt_synth_status s) {
  switch (s) {
    case RT_SYNTH_OK: return "ok";
    case RT_SYNTH_ERR_INVALID_ARGUMENT: return "invalid argument";
    case RT_SYNTH_ERR_IO: return "i/o error";
    case RT_SYNTH_ERR_BAD_MODEL: return "bad model file";
    case RT_SYNTH_ERR_VERSION: return "unsupported model format version";
    case RT_SYNTH_ERR_UNSUPPORTED: return "unsupported";
    case RT_SYNTH_ERR_OUT_OF_MEMORY: return "out of memory";
    case RT_SYNTH_ERR_NOT_PREPARED: return "not prepared";
    case RT_SYNTH_ERR_QUEUE_FULL: return "event queue full";
    case RT_SYNTH_ERR_INTERNAL: return "internal error";
    default: return "unknown status";
  }
}

const char* rt_synth_last_error(void) { return rt_synth::capi::lastError(); }

void rt_synth_options_init(rt_synth_options* opt) {
  if (!opt) return;
  opt->struct_size = sizeof(rt_synth_options);
  opt->method = RT_SYNTH_METHOD_SYNTH;
  opt->max_voices = 8;
}

rt_synth_status rt_synth_open_file(const char* path, const rt_synth_options* opt, rt_synth_handle** out) {
  if (!out) return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_open_file: out is NULL");
  *out = nullptr;
  if (!path) return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_open_file: path is NULL");
  try {
    ModelFile file;
    if (Error e = ModelFile::load(path, file)) return fail(e);
    return open_from(file, opt, out);
  } catch (const std::bad_alloc&) {
    return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, std::string(path) + ": out of memory loading the model");
  } catch (...) {
    return fail(RT_SYNTH_ERR_INTERNAL, std::string(path) + ": internal error loading the model");
  }
}

rt_synth_status rt_synth_open_memory(const void* data, size_t size, const char* name, const rt_synth_options* opt,
                                     rt_synth_handle** out) {
  if (!out) return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_open_memory: out is NULL");
  *out = nullptr;
  if (!data && size) return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_open_memory: data is NULL");
  try {
    ModelFile file;
    static const uint8_t empty = 0;
    if (Error e = ModelFile::from_memory(data ? data : &empty, size, file, name ? name : "<memory>")) return fail(e);
    return open_from(file, opt, out);
  } catch (const std::bad_alloc&) {
    return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "out of memory loading the model");
  } catch (...) {
    return fail(RT_SYNTH_ERR_INTERNAL, "internal error loading the model");
  }
}

void rt_synth_close(rt_synth_handle* h) { delete h; }

const char* rt_synth_kind(const rt_synth_handle* h) { return h ? h->kind.c_str() : ""; }
const char* rt_synth_name(const rt_synth_handle* h) { return h ? h->session->name.c_str() : ""; }
int32_t rt_synth_model_sample_rate(const rt_synth_handle* h) { return h ? h->session->model_rate : 0; }
int32_t rt_synth_hop(const rt_synth_handle* h) { return h ? h->session->hop : 0; }
int32_t rt_synth_method(const rt_synth_handle* h) { return h ? h->session->method : -1; }
int32_t rt_synth_method_count(const rt_synth_handle* h) { return h ? h->session->methodCount() : 0; }

rt_synth_status rt_synth_get_method_info(const rt_synth_handle* h, int32_t index, rt_synth_method_info* out) {
  if (!h || !out || index < 0 || index >= rt_synth_method_count(h)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  h->session->methodInfo(index, *out);
  return RT_SYNTH_OK;
}

int32_t rt_synth_metadata_count(const rt_synth_handle* h) { return h ? static_cast<int32_t>(h->meta.size()) : 0; }
const char* rt_synth_metadata_key(const rt_synth_handle* h, int32_t i) {
  if (!h || i < 0 || i >= static_cast<int32_t>(h->meta.size())) return nullptr;
  return h->meta[i].first.c_str();
}
const char* rt_synth_metadata_value(const rt_synth_handle* h, const char* key) {
  if (!h || !key) return nullptr;
  for (const auto& kv : h->meta)
    if (kv.first == key) return kv.second.c_str();
  return nullptr;
}

int32_t rt_synth_param_count(const rt_synth_handle* h) { return h ? static_cast<int32_t>(h->session->params.size()) : 0; }

rt_synth_status rt_synth_get_param_info(const rt_synth_handle* h, int32_t index, rt_synth_param_info* out) {
  if (!h || !out || index < 0 || index >= rt_synth_param_count(h)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  const ParamDesc& p = h->session->params[index];
  out->id = p.id;
  out->name = p.name.c_str();
  out->min = p.min;
  out->max = p.max;
  out->def = p.def;
  return RT_SYNTH_OK;
}

int32_t rt_synth_find_param(const rt_synth_handle* h, const char* name) {
  if (!h || !name) return -1;
  for (const ParamDesc& p : h->session->params)
    if (std::strcmp(p.name.c_str(), name) == 0) return p.id;
  return -1;
}

rt_synth_status rt_synth_set_param(rt_synth_handle* h, int32_t id, float value) {
  if (!h || std::isnan(value)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  const ParamDesc* p = h->session->findParam(id);
  if (!p) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  return h->session->setParam(id, std::min(std::max(value, p->min), p->max));
}

rt_synth_status rt_synth_get_param(const rt_synth_handle* h, int32_t id, float* value) {
  if (!h || !value) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (!h->session->findParam(id)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  *value = h->session->param(id);
  return RT_SYNTH_OK;
}

rt_synth_status rt_synth_prepare(rt_synth_handle* h, double sample_rate, int32_t max_block, int32_t channels) {
  if (!h) return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_prepare: handle is NULL");
  if (!(sample_rate >= 1000.0 && sample_rate <= 768000.0))
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_prepare: sample_rate must be in 1000..768000 Hz");
  if (max_block < 1 || max_block > (1 << 20))
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_prepare: max_block must be in 1..1048576");
  if (channels < 1 || channels > kMaxChannels)
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rt_synth_prepare: channels must be in 1..64");
  const int host_rate = static_cast<int>(std::lround(sample_rate));
  if (std::fabs(sample_rate - host_rate) > 1e-6)
    return fail(RT_SYNTH_ERR_UNSUPPORTED, "rt_synth_prepare: the sample rate must be a whole number of Hz");
  try {
    h->prepared = false;
    if (rt_synth_status s = h->session->prepare(host_rate, max_block, channels)) return s;
    h->channels = channels;
    h->prepared = true;
    rt_synth_reset(h);
    return RT_SYNTH_OK;
  } catch (const std::bad_alloc&) {
    return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
  } catch (...) {
    return fail(RT_SYNTH_ERR_INTERNAL, "rt_synth_prepare: internal error");
  }
}

int32_t rt_synth_latency(const rt_synth_handle* h) {
  if (!h || !h->prepared) return 0;
  return h->session->latency();
}

double rt_synth_latency_seconds(const rt_synth_handle* h) {
  if (!h || !h->prepared) return 0.0;
  return h->session->latencySeconds();
}

rt_synth_status rt_synth_process(rt_synth_handle* h, const float* const* in, float* const* out, int32_t n) {
  if (!h || n < 0) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (n == 0) return RT_SYNTH_OK;
  if (!out) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (!h->prepared) {
    // The channel count is only known after prepare: silence the first buffer.
    if (out[0]) std::memset(out[0], 0, sizeof(float) * static_cast<size_t>(n));
    return RT_SYNTH_ERR_NOT_PREPARED;
  }
  for (int c = 0; c < h->channels; ++c)
    if (!out[c]) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  return h->session->process(in, out, h->channels, n);
}

rt_synth_status rt_synth_reset(rt_synth_handle* h) {
  if (!h) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  h->session->reset();
  return RT_SYNTH_OK;
}

rt_synth_status rt_synth_send_midi(rt_synth_handle* h, const uint8_t* bytes, int32_t len, int32_t sample_offset) {
  if (!h || (!bytes && len > 0) || len < 0) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  return h->session->sendMidi(bytes, len, sample_offset);
}

}  // extern "C"
