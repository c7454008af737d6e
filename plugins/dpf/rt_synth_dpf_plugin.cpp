/* rt-synth as a DPF plugin (VST3, CLAP) over the C ABI (csrc/capi/rt_synth.h).
 *
 *   RT_SYNTH_DPF_INSTRUMENT=1  MIDI in -> polyphonic synth (method SYNTH) -> stereo out
 *   RT_SYNTH_DPF_INSTRUMENT=0  stereo in -> timbre transfer (method TRANSFER; a RAVE model runs
 *                              its forward method) -> stereo out
 *
 * Parameters: the C ABI's parameter list of the bundled model, in its order, with its names,
 * ranges and defaults (units and display names from param_naming.hpp). Nothing is hand-copied.
 * State: "model" = a user model file ("" = the bundle's model); DPF saves the parameter values.
 * Latency: rt_synth_latency() of the loaded model at the host's rate, given to setLatency()
 * at load, at every sample-rate / block-size change and when a new model is loaded.
 * Threads: models are opened and prepared in the constructor, in setState() and in
 * sampleRate/bufferSizeChanged() (host threads, never the audio thread) and reach run() through
 * ModelSlot's atomic exchanges. Parameter values cross as relaxed atomics and are applied at the
 * top of run(). run() calls only [RT]/[ANY] functions: no allocation, no lock, no syscall.
 * A model that fails to load is reported on stderr (the host's log) and the plugin outputs
 * silence (a failed user model keeps the previous one playing). */
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "DistrhoPlugin.hpp"
#include "DistrhoPluginUtils.hpp"
#include "bundle_paths.hpp"
#include "model_slot.hpp"
#include "param_naming.hpp"
#include "rt_synth.h"

using namespace rt_synth_dpf;

namespace {

/* DPF 1.6's VST3 wrapper with MIDI input tests `rindex <= kVst3InternalParameterMidiCC_end`
 * where it means `<`: the first plugin parameter is taken for a MIDI-CC one, reads 0 from the
 * edit controller and cannot be set there. The VST3 instrument therefore puts a read-only
 * placeholder in that slot, so every C ABI parameter stays fully usable (docs/vst3-clap.md). */
#if defined(DISTRHO_PLUGIN_TARGET_VST3) && RT_SYNTH_DPF_INSTRUMENT
constexpr uint32_t kReserved = 1;
#else
constexpr uint32_t kReserved = 0;
#endif

const BundleInfo& this_bundle() {
  static const BundleInfo info = bundle_info(DISTRHO_NAMESPACE::getBinaryFilename());
  return info;
}

struct ParamSpec {
  std::string symbol;
  ParamLabel label;
  float min, max, def;
};

/* The parameter list of the bundled model (empty when it does not load: the error is printed
 * when the instance loads it). */
std::vector<ParamSpec> param_specs() {
  std::vector<ParamSpec> specs;
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = RT_SYNTH_DPF_INSTRUMENT ? RT_SYNTH_METHOD_SYNTH : RT_SYNTH_METHOD_TRANSFER;
  rt_synth_handle* h = nullptr;  /* the C ABI's default polyphony (8 voices) */
  if (rt_synth_open_file(this_bundle().model_path.c_str(), &opt, &h) != RT_SYNTH_OK) return specs;
  const int32_t n = rt_synth_param_count(h);
  for (int32_t i = 0; i < n; ++i) {
    rt_synth_param_info info;
    if (rt_synth_get_param_info(h, i, &info) != RT_SYNTH_OK) continue;
    specs.push_back(ParamSpec{info.name, label_for(info.name), info.min, info.max, info.def});
  }
  rt_synth_close(h);
  return specs;
}

}  // namespace

const char* rt_synth_dpf_clap_id(void) {
  static const std::string id = "org.rt-synth." + this_bundle().name;
  return id.c_str();
}

START_NAMESPACE_DISTRHO

class RtSynthPlugin : public Plugin {
 public:
  RtSynthPlugin() : RtSynthPlugin(param_specs()) {}

  ~RtSynthPlugin() override = default;

 protected:
  /* ---- information ---- */
  const char* getLabel() const override { return RT_SYNTH_DPF_INSTRUMENT ? "rt_synth_instrument" : "rt_synth_effect"; }
  const char* getName() const override { return this_bundle().name.c_str(); }
  const char* getDescription() const override {
    return RT_SYNTH_DPF_INSTRUMENT ? "Neural synthesizer (DDSP model) played from MIDI"
                                   : "Neural timbre transfer or amp/pedal model (DDSP transfer, RAVE forward, effect)";
  }
  const char* getMaker() const override { return "rt-synth"; }
  const char* getHomePage() const override { return "https://github.com/rt-synth/rt-synth"; }
  const char* getLicense() const override { return "Apache-2.0"; }  /* the project's licence (pyproject.toml, LV2 ttl) */
  uint32_t getVersion() const override { return d_version(0, 1, 0); }
  int64_t getUniqueId() const override { return unique_id_of(this_bundle().name); }

  /* ---- parameters ---- */
  void initParameter(uint32_t index, Parameter& p) override {
    if (index < kReserved) {
      p.hints = kParameterIsOutput;
      p.symbol = "dpf_reserved";
      p.name = "(reserved)";
      p.ranges.min = 0.f;
      p.ranges.max = 1.f;
      p.ranges.def = 0.f;
      return;
    }
    index -= kReserved;
    const ParamSpec& s = specs_[index];
    p.hints = kParameterIsAutomatable;
    p.symbol = s.symbol.c_str();
    p.name = s.label.name.c_str();
    p.shortName = s.label.name.c_str();
    p.unit = s.label.unit.c_str();
    p.ranges.min = s.min;
    p.ranges.max = s.max;
    p.ranges.def = s.def;
  }

  float getParameterValue(uint32_t index) const override {
    if (index < kReserved) return 0.f;
    index -= kReserved;
    return index < specs_.size() ? values_[index].load(std::memory_order_relaxed) : 0.f;
  }

  void setParameterValue(uint32_t index, float value) override {
    if (index < kReserved) return;
    index -= kReserved;
    if (index >= specs_.size() || std::isnan(value)) return;
    const ParamSpec& s = specs_[index];
    values_[index].store(value < s.min ? s.min : (value > s.max ? s.max : value), std::memory_order_relaxed);
  }

  /* ---- state: the user model path ---- */
  void initState(uint32_t index, State& state) override {
    if (index != 0) return;
    state.key = "model";
    state.label = "Model file (.rtsynth); empty: the bundle's model";
    state.defaultValue = "";
    state.hints = kStateIsFilenamePath;
  }

  String getState(const char* key) const override {
    std::lock_guard<std::mutex> lock(setup_mutex_);
    return String(std::strcmp(key, "model") == 0 ? user_model_.c_str() : "");
  }

  void setState(const char* key, const char* value) override {
    if (std::strcmp(key, "model") != 0) return;
    std::lock_guard<std::mutex> lock(setup_mutex_);
    slot_.collect();
    const std::string path = value ? value : "";
    if (path == user_model_ && slot_.active()) return;
    LoadedModel* m = load(path.empty() ? this_bundle().model_path : path);
    if (!m) return;  /* reported; the previous model keeps playing */
    user_model_ = path;
    slot_.publish(m);
    setLatency(static_cast<uint32_t>(m->latency));
  }

  /* ---- set-up changes (audio stopped: VST3 setupProcessing, CLAP activate) ---- */
  void sampleRateChanged(double) override { reprepare(); }
  void bufferSizeChanged(uint32_t) override { reprepare(); }

  /* DPF may call this from the audio thread (its VST3 process() and run() activate a plugin
   * that is not active yet): real-time safe, no lock, nothing freed. */
  void activate() override {
    if (LoadedModel* m = slot_.active()) rt_synth_reset(m->h);
    forced_.store(true, std::memory_order_release);
  }

  /* ---- audio thread ---- */
#if RT_SYNTH_DPF_INSTRUMENT
  void run(const float**, float** outputs, uint32_t frames, const MidiEvent* events, uint32_t n_events) override {
    LoadedModel* m = begin_block();
    if (!m) return silence(outputs, frames);
    for (uint32_t i = 0; i < n_events; ++i) {
      const MidiEvent& e = events[i];
      const uint8_t* bytes = e.size > MidiEvent::kDataSize ? e.dataExt : e.data;
      rt_synth_send_midi(m->h, bytes, static_cast<int32_t>(e.size), static_cast<int32_t>(e.frame));
    }
    rt_synth_process(m->h, nullptr, outputs, static_cast<int32_t>(frames));
  }
#else
  void run(const float** inputs, float** outputs, uint32_t frames) override {
    LoadedModel* m = begin_block();
    if (!m) return silence(outputs, frames);
    rt_synth_process(m->h, inputs, outputs, static_cast<int32_t>(frames));
  }
#endif

 private:
  explicit RtSynthPlugin(std::vector<ParamSpec> specs)
      : Plugin(static_cast<uint32_t>(specs.size()) + kReserved, 0, 1),
        specs_(std::move(specs)),
        values_(new std::atomic<float>[specs_.size() ? specs_.size() : 1]),
        applied_(specs_.size(), NAN) {
    for (size_t i = 0; i < specs_.size(); ++i) values_[i].store(specs_[i].def, std::memory_order_relaxed);
    LoadedModel* m = load(this_bundle().model_path);
    if (m) {
      slot_.set_active(m);
      setLatency(static_cast<uint32_t>(m->latency));
    }
  }

  /* Opens and prepares a model at the plugin's current rate and block size. [non-RT] */
  LoadedModel* load(const std::string& path) const {
    rt_synth_options opt;
    rt_synth_options_init(&opt);
    opt.method = RT_SYNTH_DPF_INSTRUMENT ? RT_SYNTH_METHOD_SYNTH : RT_SYNTH_METHOD_TRANSFER;
    std::unique_ptr<LoadedModel> m(new LoadedModel);
    rt_synth_status st = rt_synth_open_file(path.c_str(), &opt, &m->h);
    if (st == RT_SYNTH_OK) st = prepare(m.get());
    if (st != RT_SYNTH_OK) {
      d_stderr2("rt-synth (%s): cannot load model %s: %s", this_bundle().name.c_str(), path.c_str(),
                rt_synth_last_error()[0] ? rt_synth_last_error() : rt_synth_status_string(st));
      return nullptr;
    }
    m->ids.resize(specs_.size());
    for (size_t i = 0; i < specs_.size(); ++i) m->ids[i] = rt_synth_find_param(m->h, specs_[i].symbol.c_str());
    return m.release();
  }

  rt_synth_status prepare(LoadedModel* m) const {
    const double rate = getSampleRate() > 0 ? getSampleRate() : 48000.0;
    const int32_t block = getBufferSize() > 0 ? static_cast<int32_t>(getBufferSize()) : 4096;
    const rt_synth_status st = rt_synth_prepare(m->h, rate, block, 2);
    m->latency = st == RT_SYNTH_OK ? rt_synth_latency(m->h) : 0;
    return st;
  }

  void reprepare() {
    std::lock_guard<std::mutex> lock(setup_mutex_);
    slot_.collect();
    for (LoadedModel* m : {slot_.active(), slot_.pending()}) {
      if (m && prepare(m) != RT_SYNTH_OK)
        d_stderr2("rt-synth (%s): prepare at %.0f Hz failed: %s", this_bundle().name.c_str(), getSampleRate(),
                  rt_synth_last_error());
    }
    if (LoadedModel* m = slot_.pending() ? slot_.pending() : slot_.active()) setLatency(static_cast<uint32_t>(m->latency));
    forced_.store(true, std::memory_order_release);
  }

  /* [RT] Swap in a published model, then apply the parameter values that changed. */
  LoadedModel* begin_block() {
    bool changed = false;
    LoadedModel* m = slot_.acquire(&changed);
    if (!m) return nullptr;
    const bool all = forced_.exchange(false, std::memory_order_acq_rel) || changed;
    for (size_t i = 0; i < specs_.size(); ++i) {
      const float v = values_[i].load(std::memory_order_relaxed);
      if (all || v != applied_[i]) {
        applied_[i] = v;
        if (m->ids[i] >= 0) rt_synth_set_param(m->h, m->ids[i], v);
      }
    }
    return m;
  }

  static void silence(float** outputs, uint32_t frames) {
    for (uint32_t c = 0; c < DISTRHO_PLUGIN_NUM_OUTPUTS; ++c) std::memset(outputs[c], 0, sizeof(float) * frames);
  }

  const std::vector<ParamSpec> specs_;
  std::unique_ptr<std::atomic<float>[]> values_;
  std::vector<float> applied_;  /* audio thread only */
  std::atomic<bool> forced_{true};  /* apply every value at the next block */
  ModelSlot slot_;
  std::string user_model_;
  mutable std::mutex setup_mutex_;  /* between host threads only; never taken by run() */

  DISTRHO_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(RtSynthPlugin)
};

Plugin* createPlugin() { return new RtSynthPlugin(); }

END_NAMESPACE_DISTRHO
