// Kind "rave" in the C ABI: forward (RaveEngine: encode -> latent controls -> decode, its own
// HostAdapter and MIDI CC map), encode / decode (RaveModel, at the model's rate) and, on a model
// with a pitch source, synth (RaveSynth, MIDI in). docs/rave-engine.md.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "capi/kind_session.h"
#include "kinds/rave/rave_model.h"
#include "kinds/rave/rave_engine.h"
#include "kinds/rave/rave_synth.h"

namespace rt_synth::capi {
namespace {

using rt_synth::rave::RaveEngine;
using rt_synth::rave::RaveSynth;

// Latent offset i = 1000 + i, latent scale i = 2000 + i, global scale 3000.
constexpr int32_t kROffset = 1000, kRScale = 2000, kRGlobalScale = 3000;
// RAVE synth (a pitched rave model played from MIDI): the latent ids above plus these.
enum RaveSynthParam : int32_t { kRSAttack = 5000, kRSRelease, kRSGlide, kRSGainDb, kRSBendRange };

class RaveSession final : public KindSession {
 public:
  std::unique_ptr<RaveEngine> forward;   // forward (owns its HostAdapter)
  std::unique_ptr<RaveModel> codec;      // encode / decode
  std::unique_ptr<RaveSynth> synth;      // synth: a pitched model played from MIDI
  bool pitched = false;                  // the model has a pitch source (offers synth)
  int32_t synth_latency = 0;             // RaveSynth's note latency at the model's rate
  int32_t latent_size = 0;
  int32_t max_block = 0;
  AlignedBuffer<float> latent;  // encode/decode [D][max_block/hop]
  OutputLimiter safety;         // decode's last stage (the engines have their own)
  MonoIO io;

  int32_t methodCount() const noexcept override { return pitched ? 4 : 3; }

  void methodInfo(int32_t index, rt_synth_method_info& out) const noexcept override {
    if (index == 3) {  // a pitched model also plays from MIDI: method SYNTH (0)
      out.name = "synth";
      out.description = "MIDI notes -> the decoder's pitch source, monophonic legato; velocity/CC7/CC11 gain "
                        "envelope, CCs latent controls (docs/rave-engine.md 'Playing from MIDI')";
      out.in_channels = 0;
      out.in_ratio = 1;
      out.out_channels = 1;
      out.out_ratio = 1;
      out.takes_midi = 1;
      out.latency = synth_latency;
      return;
    }
    // like nn~: forward 1→1 at ratio 1, encode 1 → D at R, decode D at R → 1
    static const char* names[] = {"forward", "encode", "decode"};
    static const char* desc[] = {
        "input audio -> encoder -> latent controls (offset/scale params, MIDI CCs) -> decoder (timbre transfer)",
        "input audio -> latent controls (principal directions), one frame per ratio samples",
        "latent controls, one frame per ratio samples -> audio"};
    const int32_t D = latent_size, R = hop;
    const int32_t lat = static_cast<int32_t>(forward ? forward->modelLatency()
                                             : codec ? codec->latency()
                                                     : synth->model().latency());
    out.name = names[index];
    out.description = desc[index];
    out.in_channels = index == 2 ? D : 1;
    out.in_ratio = index == 2 ? R : 1;
    out.out_channels = index == 1 ? D : 1;
    out.out_ratio = index == 1 ? R : 1;
    out.takes_midi = index == 0 ? 1 : 0;
    out.latency = index == 0 ? lat : 0;
  }

  void setOutputCeilingDb(float db) noexcept {
    safety.setCeilingDb(db);
    if (forward) forward->setOutputCeilingDb(db);
    if (synth) synth->setOutputCeilingDb(db);
  }

  rt_synth_status setParam(int32_t id, float value) noexcept override {
    if (id == kOutputCeilingDb) {
      setOutputCeilingDb(value);
      return RT_SYNTH_OK;
    }
    if (synth) {
      RaveSynth& r = *synth;
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
    if (forward) {
      if (id == kRGlobalScale) forward->setGlobalScale(value);
      else if (id >= kRScale) forward->setLatentScale(id - kRScale, value);
      else forward->setLatentOffset(id - kROffset, value);
      return RT_SYNTH_OK;
    }
    return RT_SYNTH_ERR_INVALID_ARGUMENT;
  }

  float param(int32_t id) const noexcept override {
    if (id == kOutputCeilingDb) return safety.ceilingDb();
    if (synth) {
      const RaveSynth& r = *synth;
      return id == kRSAttack       ? r.attack()
             : id == kRSRelease    ? r.release()
             : id == kRSGlide      ? r.glide()
             : id == kRSGainDb     ? r.gainDb()
             : id == kRSBendRange  ? r.bendRange()
             : id == kRGlobalScale ? r.globalScale()
             : id >= kRScale       ? r.latentScale(id - kRScale)
                                   : r.latentOffset(id - kROffset);
    }
    if (forward)
      return id == kRGlobalScale ? forward->globalScale()
             : id >= kRScale     ? forward->latentScale(id - kRScale)
                                 : forward->latentOffset(id - kROffset);
    return 0.f;
  }

  rt_synth_status prepare(int host_rate, int block, int32_t& channels) override {
    if (codec) {
      if (host_rate != model_rate)
        return fail(RT_SYNTH_ERR_UNSUPPORTED,
                    "rave encode/decode run at the model's rate (" + std::to_string(model_rate) + " Hz) only");
      if (block < hop)
        return fail(RT_SYNTH_ERR_INVALID_ARGUMENT,
                    "rave encode/decode: max_block must be >= the ratio (" + std::to_string(hop) + ")");
      if (Error e = codec->prepare(model_rate, block)) return fail(e);
      const size_t frames = static_cast<size_t>(block / hop);
      if (!latent.allocate(frames * static_cast<size_t>(latent_size)))
        return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
      channels = 1;
    } else if (forward) {
      if (Error e = forward->prepare(host_rate, block)) return fail(e);  // resamples itself
    } else {
      if (Error e = synth->prepare(host_rate, block)) return fail(e);  // resamples itself
    }
    if (!io.allocate(block)) return fail(RT_SYNTH_ERR_OUT_OF_MEMORY, "rt_synth_prepare: out of memory");
    max_block = block;
    safety.prepare(model_rate);
    setOutputCeilingDb(safety.ceilingDb());
    return RT_SYNTH_OK;
  }

  int32_t latency() const noexcept override {
    if (codec) return 0;
    return forward ? forward->latency() : synth->latency();
  }

  double latencySeconds() const noexcept override {
    if (forward) return forward->latencySeconds();
    if (synth) return synth->latencySeconds();
    return 0.0;
  }

  // encode / decode (model rate, n a multiple of the ratio R). [RT]
  rt_synth_status processCodec(const float* const* in, float* const* out, int32_t n) noexcept {
    const int R = hop, D = latent_size;
    const bool enc = method == RT_SYNTH_METHOD_ENCODE;
    const int out_ch = enc ? D : 1, in_ch = enc ? 1 : D;
    for (int c = 0; c < out_ch; ++c)
      if (!out[c]) return RT_SYNTH_ERR_INVALID_ARGUMENT;
    bool ok = n % R == 0 && in;
    for (int c = 0; ok && c < in_ch; ++c) ok = in[c] != nullptr;
    if (!ok) {
      for (int c = 0; c < out_ch; ++c) std::memset(out[c], 0, sizeof(float) * static_cast<size_t>(enc ? n / R : n));
      return RT_SYNTH_ERR_INVALID_ARGUMENT;
    }
    const int chunk = (max_block / R) * R;
    float* u = latent.data();
    for (int32_t done = 0; done < n;) {
      const int m = std::min<int32_t>(n - done, chunk), frames = m / R, f0 = done / R;
      if (enc) {
        const int got = codec->encode(in[0] + done, m, u);  // [D][got], got == frames here
        for (int c = 0; c < D; ++c) {
          std::memcpy(out[c] + f0, u + static_cast<size_t>(c) * got,
                      sizeof(float) * static_cast<size_t>(std::min(got, frames)));
          for (int f = got; f < frames; ++f) out[c][f0 + f] = 0.f;
        }
      } else {
        for (int c = 0; c < D; ++c)
          std::memcpy(u + static_cast<size_t>(c) * frames, in[c] + f0, sizeof(float) * static_cast<size_t>(frames));
        codec->decode(u, frames, out[0] + done);
        safety.process(out[0] + done, m);
      }
      done += m;
    }
    return RT_SYNTH_OK;
  }

  rt_synth_status process(const float* const* in, float* const* out, int32_t channels, int32_t n) noexcept override {
    if (codec) return processCodec(in, out, n);
    StreamEngine* stream = forward ? static_cast<StreamEngine*>(forward.get()) : synth.get();
    for (int32_t done = 0; done < n;) {
      const int m = std::min<int32_t>(n - done, io.maxBlock());
      const float* src = forward ? io.mix(in, channels, done, m) : nullptr;
      stream->process(src, io.mono(), m);
      io.copyOut(out, channels, done, m);
      done += m;
    }
    return RT_SYNTH_OK;
  }

  void reset() noexcept override {
    if (forward) forward->reset();
    if (codec) codec->reset();
    if (synth) synth->reset();
    safety.reset();
  }

  rt_synth_status sendMidi(const uint8_t* bytes, int32_t len, int32_t) noexcept override {
    // Applied at the start of the next process() call (sample_offset ignored).
    if (forward) return len == 0 || forward->pushMidi(bytes, len) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
    if (synth) return len == 0 || synth->pushMidi(bytes, len) ? RT_SYNTH_OK : RT_SYNTH_ERR_QUEUE_FULL;
    return RT_SYNTH_ERR_UNSUPPORTED;
  }
};

}  // namespace

rt_synth_status openRaveSession(ModelFile& file, const OpenOptions& opt, std::unique_ptr<KindSession>& out) {
  auto s = std::make_unique<RaveSession>();
  s->method = opt.method == RT_SYNTH_METHOD_TRANSFER ? RT_SYNTH_METHOD_FORWARD : opt.method;  // audio -> audio alias
  const bool pitched = file.get_u32_or("rt_synth.rave.pitch_source", 0) != 0;
  if (s->method < RT_SYNTH_METHOD_FORWARD && !(s->method == RT_SYNTH_METHOD_SYNTH && pitched))
    return fail(RT_SYNTH_ERR_UNSUPPORTED,
                file.name() + ": a 'rave' model runs forward (3, or transfer), encode (4) or decode (5)" +
                    (pitched ? "" : ", and synth (0) only with a pitch source, which this one lacks") +
                    "; not method " + std::to_string(s->method));
  const RaveModel* m = nullptr;
  if (s->method == RT_SYNTH_METHOD_SYNTH) {
    if (Error e = RaveSynth::fromFile(file, s->synth)) return fail(e);
    m = &s->synth->model();
  } else if (s->method == RT_SYNTH_METHOD_FORWARD) {
    if (Error e = RaveEngine::fromFile(file, s->forward)) return fail(e);
    m = &s->forward->model();
  } else {
    if (Error e = RaveModel::fromFile(file, s->codec)) return fail(e);
    m = s->codec.get();
  }
  const auto& c = m->config();
  s->name = c.name;
  s->model_rate = m->sampleRate();
  s->hop = m->ratio();
  s->latent_size = m->latentSize();
  s->pitched = m->hasPitchSource();
  // RaveSynth's E (docs/rave-engine.md "Playing from MIDI"), for method_info on any rave handle.
  s->synth_latency = static_cast<int32_t>(c.ratio) + static_cast<int32_t>(std::lround(c.pitch_gate_low * c.ratio)) +
                     (c.pqmf_taps - 1);
  if (s->forward || s->synth) {
    for (int i = 0; i < s->latent_size; ++i) {
      const float lim = c.latent_offset_range * m->latentStd(i);
      s->params.push_back({kROffset + i, "latent_offset_" + std::to_string(i), -lim, lim, 0.f});
    }
    for (int i = 0; i < s->latent_size; ++i)
      s->params.push_back({kRScale + i, "latent_scale_" + std::to_string(i), 0.f, c.latent_scale_max, 1.f});
    s->params.push_back({kRGlobalScale, "latent_scale_global", 0.f, c.latent_scale_max, 1.f});
  }
  if (s->synth) {
    s->params.push_back({kRSAttack, "attack_s", 0.0005f, 2.f, RaveSynth::kDefaultAttack});
    s->params.push_back({kRSRelease, "release_s", 0.005f, 10.f, RaveSynth::kDefaultRelease});
    s->params.push_back({kRSGlide, "glide_s", 0.f, 2.f, RaveSynth::kDefaultGlide});
    s->params.push_back({kRSGainDb, "gain_db", -60.f, 24.f, RaveSynth::kDefaultGainDb});
    s->params.push_back({kRSBendRange, "bend_range", 0.f, 24.f, RaveSynth::kDefaultBendRange});
  }
  if (s->method != RT_SYNTH_METHOD_ENCODE) s->params.push_back(ceilingParam());
  out = std::move(s);
  return RT_SYNTH_OK;
}

}  // namespace rt_synth::capi
