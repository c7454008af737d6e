// Implementation of the C ABI (csrc/capi/rt_synth.h) over the C++ core: SynthEngine (MIDI
// synth), TimbreTransfer (audio in), DDSPModel (per-sample control streams), and a
// HostAdapter when the host's rate differs from the model's; for kind "rave" RaveEngine
// (forward, with its own HostAdapter and MIDI CC map) and RaveModel (encode / decode).
//
// Boundary rules: every entry point is noexcept and catches everything (a C++ exception
// never unwinds into C); [SETUP] calls record their failure in a thread-local string; [RT]
// calls only return a status (no TLS, no allocation, no lock).
#include "capi/rt_synth.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "dsp/output_limiter.h"
#include "format/model_file.h"
#include "host/host_adapter.h"
#include "models/ddsp_model.h"
#include "models/rave_model.h"
#include "rave_engine/rave_engine.h"
#include "rave_engine/rave_synth.h"
#include "synth/synth_engine.h"
#include "synth/synth_params.h"
#include "transfer/timbre_transfer.h"
#include "util/aligned_buffer.h"
#include "util/error.h"
#include "util/version.h"

using rt_synth::AlignedBuffer;
using rt_synth::DDSPModel;
using rt_synth::Error;
using rt_synth::ErrorCode;
using rt_synth::HostAdapter;
using rt_synth::ModelFile;
using rt_synth::RaveModel;
using rt_synth::TimbreTransfer;
using rt_synth::rave::RaveEngine;
using rt_synth::rave::RaveSynth;
using rt_synth::synth::Param;
using rt_synth::synth::SynthEngine;

namespace {

thread_local std::string g_last_error;

void set_error(const std::string& msg) noexcept {
  try {
    g_last_error = msg;
  } catch (...) {
  }
}

rt_synth_status status_from(const Error& e) noexcept {
  switch (e.code) {
    case ErrorCode::kOk: return RT_SYNTH_OK;
    case ErrorCode::kIoError: return RT_SYNTH_ERR_IO;
    case ErrorCode::kBadVersion: return RT_SYNTH_ERR_VERSION;
    case ErrorCode::kUnsupported: return RT_SYNTH_ERR_UNSUPPORTED;
    case ErrorCode::kInvalidArgument: return RT_SYNTH_ERR_INVALID_ARGUMENT;
    default: return RT_SYNTH_ERR_BAD_MODEL;
  }
}

rt_synth_status fail(rt_synth_status s, const std::string& msg) noexcept {
  set_error(msg);
  return s;
}

rt_synth_status fail(const Error& e) noexcept {
  set_error(rt_synth::error_message(e));
  return status_from(e);
}

// Transfer parameter ids (synth parameters keep the ids of synth::Param, 0..kCount-1).
enum TransferParam : int32_t {
  kTPitchShift = 100,
  kTInputGainDb,
  kTLoudnessOffsetDb,
  kTDry,
  kTWet,
  kTGate,
  kTGateThresholdDb,
  kTOctaveSmoothing,
  kTEnd
};

// RAVE forward parameter ids: latent offset i = 1000 + i, latent scale i = 2000 + i, global scale 3000.
constexpr int32_t kROffset = 1000, kRScale = 2000, kRGlobalScale = 3000;
// RAVE synth (a pitched rave model played from MIDI): the latent ids above plus these.
enum RaveSynthParam : int32_t { kRSAttack = 5000, kRSRelease, kRSGlide, kRSGainDb, kRSBendRange };
// The safety stage's ceiling (docs/safety.md): transfer, controls, forward and decode. The synth
// has its own limiter_ceiling_db (-24..0 dB).
constexpr int32_t kOutputCeilingDb = 4000;

struct ParamDesc {
  int32_t id;
  std::string name;
  float min, max, def;
};

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

constexpr int kMaxChannels = 64;

}  // namespace

struct rt_synth_handle {
  int32_t method = RT_SYNTH_METHOD_SYNTH;
  std::unique_ptr<SynthEngine> synth;
  std::unique_ptr<TimbreTransfer> transfer;
  std::unique_ptr<DDSPModel> ddsp;
  std::unique_ptr<HostAdapter> adapter;
  std::unique_ptr<RaveEngine> rave;        // rave forward (owns its HostAdapter)
  std::unique_ptr<RaveModel> rave_codec;   // rave encode / decode
  std::unique_ptr<RaveSynth> rave_synth;   // rave synth: a pitched model played from MIDI
  bool rave_pitched = false;               // the rave model has a pitch source (offers synth)
  int32_t rave_synth_latency = 0;          // RaveSynth's note latency at the model's rate
  rt_synth::StreamEngine* stream = nullptr;  // synth, transfer or rave forward
  int32_t latent_size = 0;

  std::string kind, name;
  int32_t model_rate = 48000, hop = 192, feature_delay = 0, voices = 8;
  std::vector<std::pair<std::string, std::string>> meta;
  std::vector<ParamDesc> params;
  std::atomic<float> tvals[kTEnd - kTPitchShift];

  // Set by prepare.
  bool prepared = false;
  double host_rate = 48000;
  int32_t max_block = 0, channels = 1;
  AlignedBuffer<float> mono_in, mono_out, latent;  // latent: rave encode/decode [D][max_block/hop]
  rt_synth::OutputLimiter safety;  // last stage of controls and rave decode (the engines have their own)

  void setOutputCeilingDb(float db) noexcept {
    safety.setCeilingDb(db);
    if (transfer) transfer->setOutputCeilingDb(db);
    if (rave) rave->setOutputCeilingDb(db);
    if (rave_synth) rave_synth->setOutputCeilingDb(db);
    if (adapter) adapter->setOutputCeilingDb(db);
  }

  float tval(int32_t id) const noexcept { return tvals[id - kTPitchShift].load(std::memory_order_relaxed); }
  void applyTransferParam(int32_t id) noexcept {
    TimbreTransfer& t = *transfer;
    switch (id) {
      case kTPitchShift: t.setPitchShift(tval(id)); break;
      case kTInputGainDb: t.setInputGainDb(tval(id)); break;
      case kTLoudnessOffsetDb: t.setLoudnessOffsetDb(tval(id)); break;
      case kTDry: case kTWet: t.setDryWet(tval(kTDry), tval(kTWet)); break;
      case kTGate: case kTGateThresholdDb: t.setGate(tval(kTGate) >= 0.5f, tval(kTGateThresholdDb), 2); break;
      case kTOctaveSmoothing: t.setOctaveSmoothing(tval(id) >= 0.5f, 3); break;
      default: break;
    }
  }
  const ParamDesc* findParam(int32_t id) const noexcept {
    for (const ParamDesc& p : params)
      if (p.id == id) return &p;
    return nullptr;
  }
};

namespace {

ParamDesc ceilingParam() {
  return {kOutputCeilingDb, "output_ceiling_db", rt_synth::OutputLimiter::kMinCeilingDb,
          rt_synth::OutputLimiter::kMaxCeilingDb, rt_synth::OutputLimiter::kDefaultCeilingDb};
}

void collect_meta(const ModelFile& file, rt_synth_handle& h) {
  for (const std::string& k : file.keys())
    if (const rt_synth::GgufValue* v = file.find(k)) h.meta.emplace_back(k, value_text(*v));
}

rt_synth_status open_rave(ModelFile& file, std::unique_ptr<rt_synth_handle> h, rt_synth_handle** out) {
  if (h->method == RT_SYNTH_METHOD_TRANSFER) h->method = RT_SYNTH_METHOD_FORWARD;  // audio -> audio alias
  const bool pitched = file.get_u32_or("rt_synth.rave.pitch_source", 0) != 0;
  if (h->method < RT_SYNTH_METHOD_FORWARD && !(h->method == RT_SYNTH_METHOD_SYNTH && pitched))
    return fail(RT_SYNTH_ERR_UNSUPPORTED,
                file.name() + ": a 'rave' model runs forward (3, or transfer), encode (4) or decode (5)" +
                    (pitched ? "" : ", and synth (0) only with a pitch source, which this one lacks") +
                    "; not method " + std::to_string(h->method));
  const RaveModel* m = nullptr;
  if (h->method == RT_SYNTH_METHOD_SYNTH) {
    if (Error e = RaveSynth::fromFile(file, h->rave_synth)) return fail(e);
    h->stream = h->rave_synth.get();
    m = &h->rave_synth->model();
  } else if (h->method == RT_SYNTH_METHOD_FORWARD) {
    if (Error e = RaveEngine::fromFile(file, h->rave)) return fail(e);
    h->stream = h->rave.get();
    m = &h->rave->model();
  } else {
    if (Error e = RaveModel::fromFile(file, h->rave_codec)) return fail(e);
    m = h->rave_codec.get();
  }
  const auto& c = m->config();
  h->name = c.name;
  h->model_rate = m->sampleRate();
  h->hop = m->ratio();
  h->latent_size = m->latentSize();
  h->rave_pitched = m->hasPitchSource();
  // RaveSynth's E (docs/rave-engine.md "Playing from MIDI"), for method_info on any rave handle.
  h->rave_synth_latency = static_cast<int32_t>(c.ratio) + static_cast<int32_t>(std::lround(c.pitch_gate_low * c.ratio)) +
                          (c.pqmf_taps - 1);
  collect_meta(file, *h);
  if (h->rave || h->rave_synth) {
    for (int i = 0; i < h->latent_size; ++i) {
      const float lim = c.latent_offset_range * m->latentStd(i);
      h->params.push_back({kROffset + i, "latent_offset_" + std::to_string(i), -lim, lim, 0.f});
    }
    for (int i = 0; i < h->latent_size; ++i)
      h->params.push_back({kRScale + i, "latent_scale_" + std::to_string(i), 0.f, c.latent_scale_max, 1.f});
    h->params.push_back({kRGlobalScale, "latent_scale_global", 0.f, c.latent_scale_max, 1.f});
  }
  if (h->rave_synth) {
    h->params.push_back({kRSAttack, "attack_s", 0.0005f, 2.f, RaveSynth::kDefaultAttack});
    h->params.push_back({kRSRelease, "release_s", 0.005f, 10.f, RaveSynth::kDefaultRelease});
    h->params.push_back({kRSGlide, "glide_s", 0.f, 2.f, RaveSynth::kDefaultGlide});
    h->params.push_back({kRSGainDb, "gain_db", -60.f, 24.f, RaveSynth::kDefaultGainDb});
    h->params.push_back({kRSBendRange, "bend_range", 0.f, 24.f, RaveSynth::kDefaultBendRange});
  }
  if (h->method != RT_SYNTH_METHOD_ENCODE) h->params.push_back(ceilingParam());
  *out = h.release();
  return RT_SYNTH_OK;
}

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
  if (opt.max_voices < 1 || opt.max_voices > rt_synth::synth::kMaxVoices)
    return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "max_voices must be in 1..32, got " + std::to_string(opt.max_voices));

  auto h = std::make_unique<rt_synth_handle>();
  h->method = opt.method;
  h->voices = opt.max_voices;
  h->kind = file.get_string_or("rt_synth.kind", "");
  if (h->kind == "rave") return open_rave(file, std::move(h), out);
  if (h->kind != "ddsp")
    return fail(RT_SYNTH_ERR_UNSUPPORTED, file.name() + ": model kind '" + h->kind +
                                              "' is not playable by this build (it plays 'ddsp' and 'rave')");
  if (h->method >= RT_SYNTH_METHOD_FORWARD)
    return fail(RT_SYNTH_ERR_UNSUPPORTED, file.name() + ": forward/encode/decode are methods of 'rave' models; "
                                              "a 'ddsp' model runs synth, transfer or controls");
  // Every key is read and range-checked in one place, the config table (docs/safety.md).
  rt_synth::DDSPConfig cfg;
  if (Error e = rt_synth::DDSPConfig::read(file, cfg)) return fail(e);
  h->name = cfg.name;
  h->model_rate = static_cast<int32_t>(cfg.sample_rate);
  h->hop = static_cast<int32_t>(cfg.hop);
  h->feature_delay = static_cast<int32_t>(cfg.feature_delay_samples);  // <= 65536: no overflow below
  collect_meta(file, *h);

  switch (h->method) {
    case RT_SYNTH_METHOD_SYNTH: {
      if (Error e = SynthEngine::fromFile(file, h->voices, h->synth)) return fail(e);
      h->stream = h->synth.get();
      for (int i = 0; i < static_cast<int>(Param::kCount); ++i) {
        const auto& pi = rt_synth::synth::paramInfo(static_cast<Param>(i));
        float def = pi.def;
        if (static_cast<Param>(i) == Param::kPolyphony) def = std::min<float>(def, static_cast<float>(h->voices));
        h->params.push_back({i, pi.name, pi.min, pi.max, def});
      }
      break;
    }
    case RT_SYNTH_METHOD_TRANSFER: {
      std::unique_ptr<DDSPModel> m;
      if (Error e = DDSPModel::fromFile(file, m)) return fail(e);
      h->transfer.reset(new TimbreTransfer(std::move(m), rt_synth::TransferAnalysis{}, h->feature_delay));
      h->stream = h->transfer.get();
      h->params = {{kTPitchShift, "pitch_shift_semitones", -24.f, 24.f, 0.f},
                   {kTInputGainDb, "input_gain_db", -40.f, 40.f, 0.f},
                   {kTLoudnessOffsetDb, "loudness_offset_db", -40.f, 40.f, 0.f},
                   {kTDry, "dry", 0.f, 1.f, 0.f},
                   {kTWet, "wet", 0.f, 1.f, 1.f},
                   {kTGate, "gate", 0.f, 1.f, 1.f},
                   {kTGateThresholdDb, "gate_threshold_db", -120.f, 0.f, -70.f},
                   {kTOctaveSmoothing, "octave_smoothing", 0.f, 1.f, 1.f}};
      for (const ParamDesc& p : h->params) h->tvals[p.id - kTPitchShift].store(p.def);
      h->params.push_back(ceilingParam());
      break;
    }
    default: {
      if (Error e = DDSPModel::fromFile(file, h->ddsp)) return fail(e);
      h->params.push_back(ceilingParam());
      break;
    }
  }
  *out = h.release();
  return RT_SYNTH_OK;
}

// rave encode / decode (model rate, n a multiple of the ratio R). [RT]
rt_synth_status process_rave_codec(rt_synth_handle* h, const float* const* in, float* const* out, int32_t n) noexcept {
  const int R = h->hop, D = h->latent_size;
  const bool enc = h->method == RT_SYNTH_METHOD_ENCODE;
  const int out_ch = enc ? D : 1, in_ch = enc ? 1 : D;
  for (int c = 0; c < out_ch; ++c)
    if (!out[c]) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  bool ok = n % R == 0 && in;
  for (int c = 0; ok && c < in_ch; ++c) ok = in[c] != nullptr;
  if (!ok) {
    for (int c = 0; c < out_ch; ++c) std::memset(out[c], 0, sizeof(float) * static_cast<size_t>(enc ? n / R : n));
    return RT_SYNTH_ERR_INVALID_ARGUMENT;
  }
  const int chunk = (h->max_block / R) * R;
  float* u = h->latent.data();
  for (int32_t done = 0; done < n;) {
    const int m = std::min<int32_t>(n - done, chunk), frames = m / R, f0 = done / R;
    if (enc) {
      const int got = h->rave_codec->encode(in[0] + done, m, u);  // [D][got], got == frames here
      for (int c = 0; c < D; ++c) {
        std::memcpy(out[c] + f0, u + static_cast<size_t>(c) * got, sizeof(float) * static_cast<size_t>(std::min(got, frames)));
        for (int f = got; f < frames; ++f) out[c][f0 + f] = 0.f;
      }
    } else {
      for (int c = 0; c < D; ++c)
        std::memcpy(u + static_cast<size_t>(c) * frames, in[c] + f0, sizeof(float) * static_cast<size_t>(frames));
      h->rave_codec->decode(u, frames, out[0] + done);
      h->safety.process(out[0] + done, m);
    }
    done += m;
  }
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

const char* rt_synth_last_error(void) { return g_last_error.c_str(); }

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
const char* rt_synth_name(const rt_synth_handle* h) { return h ? h->name.c_str() : ""; }
int32_t rt_synth_model_sample_rate(const rt_synth_handle* h) { return h ? h->model_rate : 0; }
int32_t rt_synth_hop(const rt_synth_handle* h) { return h ? h->hop : 0; }
int32_t rt_synth_method(const rt_synth_handle* h) { return h ? h->method : -1; }
int32_t rt_synth_method_count(const rt_synth_handle* h) { return h ? (h->rave_pitched ? 4 : 3) : 0; }

rt_synth_status rt_synth_get_method_info(const rt_synth_handle* h, int32_t index, rt_synth_method_info* out) {
  if (!h || !out || index < 0 || index >= rt_synth_method_count(h)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (h->kind == "rave" && index == 3) {  // a pitched model also plays from MIDI: method SYNTH (0)
    out->name = "synth";
    out->description = "MIDI notes -> the decoder's pitch source, monophonic legato; velocity/CC7/CC11 gain "
                       "envelope, CCs latent controls (docs/rave-engine.md 'Playing from MIDI')";
    out->in_channels = 0;
    out->in_ratio = 1;
    out->out_channels = 1;
    out->out_ratio = 1;
    out->takes_midi = 1;
    out->latency = h->rave_synth_latency;
    return RT_SYNTH_OK;
  }
  if (h->kind == "rave") {  // like nn~: forward 1→1 at ratio 1, encode 1 → D at R, decode D at R → 1
    static const char* names[] = {"forward", "encode", "decode"};
    static const char* desc[] = {
        "input audio -> encoder -> latent controls (offset/scale params, MIDI CCs) -> decoder (timbre transfer)",
        "input audio -> latent controls (principal directions), one frame per ratio samples",
        "latent controls, one frame per ratio samples -> audio"};
    const int32_t D = h->latent_size, R = h->hop;
    const int32_t lat = static_cast<int32_t>(h->rave         ? h->rave->modelLatency()
                                             : h->rave_codec ? h->rave_codec->latency()
                                                             : h->rave_synth->model().latency());
    out->name = names[index];
    out->description = desc[index];
    out->in_channels = index == 2 ? D : 1;
    out->in_ratio = index == 2 ? R : 1;
    out->out_channels = index == 1 ? D : 1;
    out->out_ratio = index == 1 ? R : 1;
    out->takes_midi = index == 0 ? 1 : 0;
    out->latency = index == 0 ? lat : 0;
    return RT_SYNTH_OK;
  }
  static const char* names[] = {"synth", "transfer", "controls"};
  static const char* desc[] = {
      "MIDI notes -> polyphonic DDSP synth (voices, ADSR, glide, vibrato, limiter)",
      "input audio -> streaming YIN f0 + A-weighted loudness -> model (timbre transfer)",
      "per-sample f0 (Hz) and loudness (dB) streams -> model"};
  out->name = names[index];
  out->description = desc[index];
  out->in_channels = index == 0 ? 0 : (index == 1 ? 1 : 2);
  out->in_ratio = 1;
  out->out_channels = 1;
  out->out_ratio = 1;
  out->takes_midi = index == 0 ? 1 : 0;
  out->latency = index == 1 ? (h->transfer ? h->transfer->latency() : h->feature_delay + h->hop) : 0;
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

int32_t rt_synth_param_count(const rt_synth_handle* h) { return h ? static_cast<int32_t>(h->params.size()) : 0; }

rt_synth_status rt_synth_get_param_info(const rt_synth_handle* h, int32_t index, rt_synth_param_info* out) {
  if (!h || !out || index < 0 || index >= static_cast<int32_t>(h->params.size())) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  const ParamDesc& p = h->params[index];
  out->id = p.id;
  out->name = p.name.c_str();
  out->min = p.min;
  out->max = p.max;
  out->def = p.def;
  return RT_SYNTH_OK;
}

int32_t rt_synth_find_param(const rt_synth_handle* h, const char* name) {
  if (!h || !name) return -1;
  for (const ParamDesc& p : h->params)
    if (std::strcmp(p.name.c_str(), name) == 0) return p.id;
  return -1;
}

rt_synth_status rt_synth_set_param(rt_synth_handle* h, int32_t id, float value) {
  if (!h || std::isnan(value)) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  const ParamDesc* p = h->findParam(id);
  if (!p) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  value = std::min(std::max(value, p->min), p->max);
  if (id == kOutputCeilingDb) {
    h->setOutputCeilingDb(value);
    return RT_SYNTH_OK;
  }
  if (h->synth) return h->synth->setParam(static_cast<Param>(id), value) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
  if (h->rave_synth) {
    RaveSynth& r = *h->rave_synth;
    switch (id) {
      case kRSAttack: r.setAttack(value); break;
      case kRSRelease: r.setRelease(value); break;
      case kRSGlide: r.setGlide(value); break;
      case kRSGainDb: r.setGainDb(value); break;
      case kRSBendRange: r.setBendRange(value); break;
      case kRGlobalScale: r.setGlobalScale(value); break;
      default:
        if (id >= kRScale) r.setLatentScale(id - kRScale, value);
        else r.setLatentOffset(id - kROffset, value);
    }
    return RT_SYNTH_OK;
  }
  if (h->rave) {
    if (id == kRGlobalScale) h->rave->setGlobalScale(value);
    else if (id >= kRScale) h->rave->setLatentScale(id - kRScale, value);
    else h->rave->setLatentOffset(id - kROffset, value);
    return RT_SYNTH_OK;
  }
  if (h->transfer) {
    h->tvals[id - kTPitchShift].store(value, std::memory_order_relaxed);
    h->applyTransferParam(id);
    return RT_SYNTH_OK;
  }
  return RT_SYNTH_ERR_INVALID_ARGUMENT;
}

rt_synth_status rt_synth_get_param(const rt_synth_handle* h, int32_t id, float* value) {
  if (!h || !value) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  const ParamDesc* p = h->findParam(id);
  if (!p) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (id == kOutputCeilingDb) *value = h->safety.ceilingDb();
  else if (h->synth) *value = h->synth->param(static_cast<Param>(id));
  else if (h->rave_synth) {
    const RaveSynth& r = *h->rave_synth;
    *value = id == kRSAttack      ? r.attack()
             : id == kRSRelease   ? r.release()
             : id == kRSGlide     ? r.glide()
             : id == kRSGainDb    ? r.gainDb()
             : id == kRSBendRange ? r.bendRange()
             : id == kRGlobalScale ? r.globalScale()
             : id >= kRScale      ? r.latentScale(id - kRScale)
                                  : r.latentOffset(id - kROffset);
  } else if (h->rave) *value = id == kRGlobalScale ? h->rave->globalScale()
                             : id >= kRScale     ? h->rave->latentScale(id - kRScale)
                                                 : h->rave->latentOffset(id - kROffset);
  else *value = h->tval(id);
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
    h->adapter.reset();
    const bool native = host_rate == h->model_rate;
    if (h->rave_codec) {
      if (!native)
        return fail(RT_SYNTH_ERR_UNSUPPORTED, "rave encode/decode run at the model's rate (" +
                                                  std::to_string(h->model_rate) + " Hz) only");
      if (max_block < h->hop)
        return fail(RT_SYNTH_ERR_INVALID_ARGUMENT, "rave encode/decode: max_block must be >= the ratio (" +
                                                       std::to_string(h->hop) + ")");
      if (Error e = h->rave_codec->prepare(h->model_rate, max_block)) return fail(e);
      const size_t frames = static_cast<size_t>(max_block / h->hop);
      if (!h->latent.allocate(frames * static_cast<size_t>(h->latent_size)))
        return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
      channels = 1;
    } else if (h->rave) {
      if (Error e = h->rave->prepare(host_rate, max_block)) return fail(e);  // resamples itself
    } else if (h->rave_synth) {
      if (Error e = h->rave_synth->prepare(host_rate, max_block)) return fail(e);  // resamples itself
    } else if (h->ddsp) {
      if (!native)
        return fail(RT_SYNTH_ERR_UNSUPPORTED, "the controls method runs at the model's rate (" +
                                                  std::to_string(h->model_rate) + " Hz) only");
      if (Error e = h->ddsp->prepare(h->model_rate, max_block)) return fail(e);
    } else {
      // The engine's block: the host block at the model's rate, or the adapter's chunk.
      const int engine_block = native ? max_block : 4096;
      Error e = h->synth ? h->synth->prepare(h->model_rate, engine_block)
                         : h->transfer->prepare(h->model_rate, engine_block);
      if (e) return fail(e);
      if (!native) {
        h->adapter = std::make_unique<HostAdapter>();
        if (Error e2 = h->adapter->prepare(h->stream, h->model_rate, host_rate, max_block)) return fail(e2);
      }
    }
    if (!h->mono_in.allocate(static_cast<size_t>(max_block)) || !h->mono_out.allocate(static_cast<size_t>(max_block)))
      return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
    h->safety.prepare(h->model_rate);
    h->setOutputCeilingDb(h->safety.ceilingDb());  // a new adapter gets the handle's ceiling
    h->host_rate = host_rate;
    h->max_block = max_block;
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
  if (!h || !h->prepared || h->rave_codec) return 0;
  if (h->adapter) return h->adapter->latency();
  if (h->stream) return h->stream->latency();
  return h->ddsp ? h->ddsp->latency() : 0;
}

double rt_synth_latency_seconds(const rt_synth_handle* h) {
  if (!h || !h->prepared) return 0.0;
  if (h->adapter) return h->adapter->latencySeconds();
  if (h->rave) return h->rave->latencySeconds();
  if (h->rave_synth) return h->rave_synth->latencySeconds();
  return static_cast<double>(rt_synth_latency(h)) / h->model_rate;
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
  const int C = h->channels;
  for (int c = 0; c < C; ++c)
    if (!out[c]) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (h->ddsp && (!in || !in[0] || !in[1])) {
    for (int c = 0; c < C; ++c) std::memset(out[c], 0, sizeof(float) * static_cast<size_t>(n));
    return RT_SYNTH_ERR_INVALID_ARGUMENT;
  }
  if (h->rave_codec) return process_rave_codec(h, in, out, n);
  float* mono = h->mono_out.data();
  float* mix = h->mono_in.data();
  for (int32_t done = 0; done < n;) {
    const int m = std::min<int32_t>(n - done, h->max_block);
    if (h->ddsp) {
      h->ddsp->process(in[0] + done, in[1] + done, mono, m);
      h->safety.process(mono, m);
    } else {
      const float* src = nullptr;
      if (h->transfer || h->rave) {
        if (in && C == 1 && in[0]) {
          src = in[0] + done;
        } else if (in) {
          int k = 0;
          std::memset(mix, 0, sizeof(float) * static_cast<size_t>(m));
          for (int c = 0; c < C; ++c) {
            if (!in[c]) continue;
            ++k;
            for (int i = 0; i < m; ++i) mix[i] += in[c][done + i];
          }
          if (k > 1) {
            const float g = 1.f / static_cast<float>(k);
            for (int i = 0; i < m; ++i) mix[i] *= g;
          }
          src = mix;
        } else {
          std::memset(mix, 0, sizeof(float) * static_cast<size_t>(m));
          src = mix;
        }
      }
      if (h->adapter) h->adapter->process(src, mono, m);
      else h->stream->process(src, mono, m);
    }
    for (int c = 0; c < C; ++c) std::memcpy(out[c] + done, mono, sizeof(float) * static_cast<size_t>(m));
    done += m;
  }
  return RT_SYNTH_OK;
}

rt_synth_status rt_synth_reset(rt_synth_handle* h) {
  if (!h) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (h->synth) h->synth->reset();
  if (h->transfer) h->transfer->reset(0);
  if (h->ddsp) h->ddsp->reset(0);
  if (h->rave) h->rave->reset();
  if (h->rave_codec) h->rave_codec->reset();
  if (h->rave_synth) h->rave_synth->reset();
  if (h->adapter) h->adapter->reset();
  h->safety.reset();
  return RT_SYNTH_OK;
}

rt_synth_status rt_synth_send_midi(rt_synth_handle* h, const uint8_t* bytes, int32_t len, int32_t sample_offset) {
  if (!h || (!bytes && len > 0) || len < 0) return RT_SYNTH_ERR_INVALID_ARGUMENT;
  if (h->rave) return len == 0 || h->rave->pushMidi(bytes, len) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
  if (h->rave_synth)  // applied at the start of the next process() call (sample_offset ignored)
    return len == 0 || h->rave_synth->pushMidi(bytes, len) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
  if (!h->synth) return RT_SYNTH_ERR_UNSUPPORTED;
  if (len == 0) return RT_SYNTH_OK;
  int32_t off = std::max<int32_t>(0, sample_offset);
  // Host samples -> model samples from the event's absolute host time (exact, the same for
  // every host block size; HostAdapter::engineOffset).
  if (h->adapter) off = h->adapter->engineOffset(off);
  return h->synth->pushMidi(bytes, len, off) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
}

}  // extern "C"
