// Kind "effect" in the C ABI: one method, forward (audio in -> model -> audio out; transfer is
// an alias, so hosts that open an audio effect with TRANSFER play it). At a host rate other
// than the model's, a HostAdapter resamples around it (the model keeps its rate). Parameters:
// input and output gain (smoothed, no zipper noise; values set before the first block after a
// reset apply at once) and the safety stage's ceiling; a model with knobs (docs/effect-models.md,
// "Knobs") adds knob k as parameter kKnobBase + k, named as the knob, over its range, from
// the next block on (EffectModel::setKnob).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>

#include "capi/kind_session.h"
#include "host/host_adapter.h"
#include "host/stream_engine.h"
#include "kinds/effect/effect_model.h"

namespace rt_synth::capi {
namespace {

using rt_synth::effect::EffectModel;

enum EffectParam : int32_t { kInputGainDb = 100, kOutputGainDb = 101, kKnobBase = 200 };

float dbToGain(float db) noexcept { return std::pow(10.f, db / 20.f); }

// The model at its rate as a StreamEngine: input gain -> model -> output gain -> safety stage.
class EffectStream final : public StreamEngine {
 public:
  explicit EffectStream(std::unique_ptr<EffectModel> m) : model_(std::move(m)) {}
  EffectModel& model() noexcept { return *model_; }

  Error prepare(int max_block) noexcept {
    if (Error e = model_->prepare()) return e;
    max_block_ = max_block;
    safety.prepare(model_->sampleRate());
    // Gains move to their target within ~10 ms (a one-pole per sample): no zipper noise.
    smooth_ = 1.f - std::exp(-1.f / (0.010f * static_cast<float>(model_->sampleRate())));
    return {};
  }
  void reset() noexcept {
    model_->reset();
    safety.reset();
    fresh_ = true;
  }

  void process(const float* in, float* out, int n) noexcept override {
    const float in_target = dbToGain(in_db.load(std::memory_order_relaxed));
    const float out_target = dbToGain(out_db.load(std::memory_order_relaxed));
    if (fresh_) {  // nothing has sounded since the reset: the gains start at their values
      in_gain_ = in_target;
      out_gain_ = out_target;
      fresh_ = false;
    }
    float g = in_gain_;
    for (int i = 0; i < n; ++i) {
      g += smooth_ * (in_target - g);
      out[i] = in ? in[i] * g : 0.f;  // NaN/Inf in: the model sanitises its input
    }
    in_gain_ = g;
    model_->process(out, out, n);
    g = out_gain_;
    for (int i = 0; i < n; ++i) {
      g += smooth_ * (out_target - g);
      out[i] *= g;
    }
    out_gain_ = g;
    safety.process(out, n);
  }
  int latency() const noexcept override { return model_->latency(); }
  int maxBlock() const noexcept override { return max_block_; }

  std::atomic<float> in_db{0.f}, out_db{0.f};
  OutputLimiter safety;

 private:
  std::unique_ptr<EffectModel> model_;
  int max_block_ = 0;
  float smooth_ = 1.f, in_gain_ = 1.f, out_gain_ = 1.f;
  bool fresh_ = true;
};

class EffectSession final : public KindSession {
 public:
  std::unique_ptr<EffectStream> stream;
  std::unique_ptr<HostAdapter> adapter;
  MonoIO io;
  bool prepared = false;

  int32_t methodCount() const noexcept override { return 1; }

  void methodInfo(int32_t, rt_synth_method_info& out) const noexcept override {
    out.name = "forward";
    out.description = "input audio -> effect model (amp / pedal emulation) -> audio";
    out.in_channels = 1;
    out.in_ratio = 1;
    out.out_channels = 1;
    out.out_ratio = 1;
    out.takes_midi = 0;
    out.latency = 0;
  }

  rt_synth_status setParam(int32_t id, float value) noexcept override {
    switch (id) {
      case kOutputCeilingDb:
        stream->safety.setCeilingDb(value);
        if (adapter) adapter->setOutputCeilingDb(value);
        return RT_SYNTH_OK;
      case kInputGainDb: stream->in_db.store(value, std::memory_order_relaxed); return RT_SYNTH_OK;
      case kOutputGainDb: stream->out_db.store(value, std::memory_order_relaxed); return RT_SYNTH_OK;
      default:
        if (id >= kKnobBase && stream->model().setKnob(id - kKnobBase, value)) return RT_SYNTH_OK;
        return RT_SYNTH_ERR_INVALID_ARGUMENT;
    }
  }

  float param(int32_t id) const noexcept override {
    if (id == kOutputCeilingDb) return stream->safety.ceilingDb();
    if (id >= kKnobBase) return stream->model().knob(id - kKnobBase);
    return (id == kInputGainDb ? stream->in_db : stream->out_db).load(std::memory_order_relaxed);
  }

  rt_synth_status prepare(int host_rate, int max_block, int32_t&) override {
    adapter.reset();
    prepared = false;
    const bool native = host_rate == model_rate;
    // At the model's rate the model runs the host's blocks; otherwise the adapter's chunks.
    if (Error e = stream->prepare(native ? max_block : 4096)) return fail(e);
    if (!native) {
      adapter = std::make_unique<HostAdapter>();
      if (Error e = adapter->prepare(stream.get(), model_rate, host_rate, max_block)) return fail(e);
      adapter->setOutputCeilingDb(stream->safety.ceilingDb());
    }
    if (!io.allocate(max_block)) return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
    prepared = true;
    return RT_SYNTH_OK;
  }

  int32_t latency() const noexcept override { return adapter ? adapter->latency() : stream->latency(); }
  double latencySeconds() const noexcept override {
    return adapter ? adapter->latencySeconds() : static_cast<double>(stream->latency()) / model_rate;
  }

  rt_synth_status process(const float* const* in, float* const* out, int32_t channels, int32_t n) noexcept override {
    for (int32_t done = 0; done < n;) {
      const int m = std::min<int32_t>(n - done, io.maxBlock());
      const float* src = io.mix(in, channels, done, m);
      if (adapter) adapter->process(src, io.mono(), m);
      else stream->process(src, io.mono(), m);
      io.copyOut(out, channels, done, m);
      done += m;
    }
    return RT_SYNTH_OK;
  }

  void reset() noexcept override {
    if (!prepared) return;  // the model's state exists after prepare
    stream->reset();
    if (adapter) adapter->reset();
  }
};

}  // namespace

rt_synth_status openEffectSession(ModelFile& file, const OpenOptions& opt, std::unique_ptr<KindSession>& out) {
  const int32_t method = opt.method == RT_SYNTH_METHOD_TRANSFER ? RT_SYNTH_METHOD_FORWARD : opt.method;
  if (method != RT_SYNTH_METHOD_FORWARD)
    return fail(RT_SYNTH_ERR_UNSUPPORTED, file.name() + ": an 'effect' model runs forward (3, or transfer 1): "
                                                        "audio in, audio out; not method " +
                                              std::to_string(opt.method));
  std::unique_ptr<EffectModel> m;
  if (Error e = EffectModel::fromFile(file, m)) return fail(e);
  auto s = std::make_unique<EffectSession>();
  s->method = method;
  s->name = m->config().name;
  s->model_rate = m->sampleRate();
  s->hop = 1;
  s->stream = std::make_unique<EffectStream>(std::move(m));
  s->params = {{kInputGainDb, "input_gain_db", -24.f, 24.f, 0.f},
               {kOutputGainDb, "output_gain_db", -40.f, 24.f, 0.f},
               ceilingParam()};
  const auto& knobs = s->stream->model().config().knobs;
  for (std::size_t k = 0; k < knobs.size(); ++k) {
    for (const ParamDesc& p : s->params)  // hosts find parameters by name: one name, one parameter
      if (p.name == knobs[k].name)
        return fail(RT_SYNTH_ERR_BAD_MODEL, file.name() + ": knob '" + knobs[k].name +
                                                "' has the name of another parameter of an effect; rename it");
    s->params.push_back({kKnobBase + static_cast<int32_t>(k), knobs[k].name, knobs[k].min, knobs[k].max, knobs[k].def});
  }
  out = std::move(s);
  return RT_SYNTH_OK;
}

}  // namespace rt_synth::capi
