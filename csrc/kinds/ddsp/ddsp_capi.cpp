// Kind "ddsp" in the C ABI: methods synth (SynthEngine, MIDI in), transfer (TimbreTransfer,
// audio in) and controls (DDSPModel over per-sample f0/loudness streams), with a HostAdapter
// when the host's rate differs from the model's (synth and transfer).
#include "capi/kind_session.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>

#include "host/host_adapter.h"
#include "kinds/ddsp/ddsp_model.h"
#include "synth/synth_engine.h"
#include "synth/synth_params.h"
#include "transfer/timbre_transfer.h"

namespace rt_synth::capi {
namespace {

using rt_synth::synth::Param;
using rt_synth::synth::SynthEngine;
static_assert(OpenOptions::kMaxVoices == rt_synth::synth::kMaxVoices, "the C ABI's max_voices range is the synth's");

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

class DdspSession final : public KindSession {
 public:
  std::unique_ptr<SynthEngine> synth;
  std::unique_ptr<TimbreTransfer> transfer;
  std::unique_ptr<DDSPModel> controls;
  std::unique_ptr<HostAdapter> adapter;
  StreamEngine* stream = nullptr;  // synth or transfer
  int32_t feature_delay = 0;
  std::atomic<float> tvals[kTEnd - kTPitchShift];
  OutputLimiter safety;  // the controls method's last stage (the engines have their own)
  MonoIO io;

  int32_t methodCount() const noexcept override { return 3; }

  void methodInfo(int32_t index, rt_synth_method_info& out) const noexcept override {
    static const char* names[] = {"synth", "transfer", "controls"};
    static const char* desc[] = {
        "MIDI notes -> polyphonic DDSP synth (voices, ADSR, glide, vibrato, limiter)",
        "input audio -> streaming YIN f0 + A-weighted loudness -> model (timbre transfer)",
        "per-sample f0 (Hz) and loudness (dB) streams -> model"};
    out.name = names[index];
    out.description = desc[index];
    out.in_channels = index == 0 ? 0 : (index == 1 ? 1 : 2);
    out.in_ratio = 1;
    out.out_channels = 1;
    out.out_ratio = 1;
    out.takes_midi = index == 0 ? 1 : 0;
    out.latency = index == 1 ? (transfer ? transfer->latency() : feature_delay + hop) : 0;
  }

  void setOutputCeilingDb(float db) noexcept {
    safety.setCeilingDb(db);
    if (transfer) transfer->setOutputCeilingDb(db);
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

  rt_synth_status setParam(int32_t id, float value) noexcept override {
    if (id == kOutputCeilingDb) {
      setOutputCeilingDb(value);
      return RT_SYNTH_OK;
    }
    if (synth) return synth->setParam(static_cast<Param>(id), value) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
    if (transfer) {
      tvals[id - kTPitchShift].store(value, std::memory_order_relaxed);
      applyTransferParam(id);
      return RT_SYNTH_OK;
    }
    return RT_SYNTH_ERR_INVALID_ARGUMENT;
  }

  float param(int32_t id) const noexcept override {
    if (id == kOutputCeilingDb) return safety.ceilingDb();
    if (synth) return synth->param(static_cast<Param>(id));
    return tval(id);
  }

  rt_synth_status prepare(int host_rate, int max_block, int32_t&) override {
    adapter.reset();
    const bool native = host_rate == model_rate;
    if (controls) {
      if (!native)
        return fail(RT_SYNTH_ERR_UNSUPPORTED,
                    "the controls method runs at the model's rate (" + std::to_string(model_rate) + " Hz) only");
      if (Error e = controls->prepare(model_rate, max_block)) return fail(e);
    } else {
      // The engine's block: the host block at the model's rate, or the adapter's chunk.
      const int engine_block = native ? max_block : 4096;
      Error e = synth ? synth->prepare(model_rate, engine_block) : transfer->prepare(model_rate, engine_block);
      if (e) return fail(e);
      if (!native) {
        adapter = std::make_unique<HostAdapter>();
        if (Error e2 = adapter->prepare(stream, model_rate, host_rate, max_block)) return fail(e2);
      }
    }
    if (!io.allocate(max_block)) return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
    safety.prepare(model_rate);
    setOutputCeilingDb(safety.ceilingDb());  // a new adapter gets the handle's ceiling
    return RT_SYNTH_OK;
  }

  int32_t latency() const noexcept override {
    if (adapter) return adapter->latency();
    if (stream) return stream->latency();
    return controls ? controls->latency() : 0;
  }

  double latencySeconds() const noexcept override {
    if (adapter) return adapter->latencySeconds();
    return static_cast<double>(latency()) / model_rate;
  }

  rt_synth_status process(const float* const* in, float* const* out, int32_t channels, int32_t n) noexcept override {
    if (controls && (!in || !in[0] || !in[1])) {
      for (int c = 0; c < channels; ++c) std::memset(out[c], 0, sizeof(float) * static_cast<size_t>(n));
      return RT_SYNTH_ERR_INVALID_ARGUMENT;
    }
    float* mono = io.mono();
    for (int32_t done = 0; done < n;) {
      const int m = std::min<int32_t>(n - done, io.maxBlock());
      if (controls) {
        controls->process(in[0] + done, in[1] + done, mono, m);
        safety.process(mono, m);
      } else {
        const float* src = transfer ? io.mix(in, channels, done, m) : nullptr;
        if (adapter) adapter->process(src, mono, m);
        else stream->process(src, mono, m);
      }
      io.copyOut(out, channels, done, m);
      done += m;
    }
    return RT_SYNTH_OK;
  }

  void reset() noexcept override {
    if (synth) synth->reset();
    if (transfer) transfer->reset(0);
    if (controls) controls->reset(0);
    if (adapter) adapter->reset();
    safety.reset();
  }

  rt_synth_status sendMidi(const uint8_t* bytes, int32_t len, int32_t sample_offset) noexcept override {
    if (!synth) return RT_SYNTH_ERR_UNSUPPORTED;
    if (len == 0) return RT_SYNTH_OK;
    int32_t off = std::max<int32_t>(0, sample_offset);
    // Host samples -> model samples from the event's absolute host time (exact, the same for
    // every host block size; HostAdapter::engineOffset).
    if (adapter) off = adapter->engineOffset(off);
    return synth->pushMidi(bytes, len, off) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
  }
};

}  // namespace

rt_synth_status openDdspSession(ModelFile& file, const OpenOptions& opt, std::unique_ptr<KindSession>& out) {
  if (opt.method >= RT_SYNTH_METHOD_FORWARD)
    return fail(RT_SYNTH_ERR_UNSUPPORTED, file.name() + ": forward/encode/decode are methods of 'rave' models; "
                                                        "a 'ddsp' model runs synth, transfer or controls");
  // Every key is read and range-checked in one place, the config table (docs/safety.md).
  DDSPConfig cfg;
  if (Error e = DDSPConfig::read(file, cfg)) return fail(e);
  auto s = std::make_unique<DdspSession>();
  s->method = opt.method;
  s->name = cfg.name;
  s->model_rate = static_cast<int32_t>(cfg.sample_rate);
  s->hop = static_cast<int32_t>(cfg.hop);
  s->feature_delay = static_cast<int32_t>(cfg.feature_delay_samples);  // <= 65536: no overflow
  switch (opt.method) {
    case RT_SYNTH_METHOD_SYNTH: {
      if (Error e = SynthEngine::fromFile(file, opt.max_voices, s->synth)) return fail(e);
      s->stream = s->synth.get();
      for (int i = 0; i < static_cast<int>(Param::kCount); ++i) {
        const auto& pi = rt_synth::synth::paramInfo(static_cast<Param>(i));
        float def = pi.def;
        if (static_cast<Param>(i) == Param::kPolyphony) def = std::min<float>(def, static_cast<float>(opt.max_voices));
        s->params.push_back({i, pi.name, pi.min, pi.max, def});
      }
      break;
    }
    case RT_SYNTH_METHOD_TRANSFER: {
      std::unique_ptr<DDSPModel> m;
      if (Error e = DDSPModel::fromFile(file, m)) return fail(e);
      s->transfer.reset(new TimbreTransfer(std::move(m), TransferAnalysis{}, s->feature_delay));
      s->stream = s->transfer.get();
      s->params = {{kTPitchShift, "pitch_shift_semitones", -24.f, 24.f, 0.f},
                   {kTInputGainDb, "input_gain_db", -40.f, 40.f, 0.f},
                   {kTLoudnessOffsetDb, "loudness_offset_db", -40.f, 40.f, 0.f},
                   {kTDry, "dry", 0.f, 1.f, 0.f},
                   {kTWet, "wet", 0.f, 1.f, 1.f},
                   {kTGate, "gate", 0.f, 1.f, 1.f},
                   {kTGateThresholdDb, "gate_threshold_db", -120.f, 0.f, -70.f},
                   {kTOctaveSmoothing, "octave_smoothing", 0.f, 1.f, 1.f}};
      for (const ParamDesc& p : s->params) s->tvals[p.id - kTPitchShift].store(p.def);
      s->params.push_back(ceilingParam());
      break;
    }
    default: {
      if (Error e = DDSPModel::fromFile(file, s->controls)) return fail(e);
      s->params.push_back(ceilingParam());
      break;
    }
  }
  out = std::move(s);
  return RT_SYNTH_OK;
}

}  // namespace rt_synth::capi
