#include "kinds/effect/effect_bindings.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <memory>
#include <string>

#include "host/host_adapter.h"
#include "host/stream_engine.h"
#include "kinds/effect/effect_model.h"

namespace py = pybind11;
using rt_synth::effect::EffectModel;

namespace {

// The model as the HostAdapter's engine (at the model's rate, chunks of up to kEngineBlock).
struct EffectEngine final : rt_synth::StreamEngine {
  static constexpr int kEngineBlock = 4096;
  EffectModel* model = nullptr;
  float zeros[kEngineBlock] = {};
  void process(const float* in, float* out, int n) noexcept override { model->process(in ? in : zeros, out, n); }
  int latency() const noexcept override { return model->latency(); }
  int maxBlock() const noexcept override { return kEngineBlock; }
};

struct PyEffectModel {
  std::unique_ptr<EffectModel> model;
  // set by prepare_host at a rate other than the model's: the core's resampling around it
  std::unique_ptr<EffectEngine> engine;
  std::unique_ptr<rt_synth::HostAdapter> host;
  int host_rate = 0;
};

int knobIndex(const PyEffectModel& p, const py::object& key) {
  const EffectModel& m = *p.model;
  if (py::isinstance<py::str>(key)) {
    const std::string name = key.cast<std::string>();
    const int i = m.knobIndex(name);
    if (i < 0) {
      std::string names;
      for (const auto& k : m.config().knobs) names += (names.empty() ? "" : ", ") + k.name;
      throw py::key_error("no knob '" + name + "' in this model (its knobs: " + (names.empty() ? "none" : names) + ")");
    }
    return i;
  }
  const int i = key.cast<int>();
  if (i < 0 || i >= m.knobCount())
    throw py::index_error("knob index " + std::to_string(i) + " out of range (the model has " +
                          std::to_string(m.knobCount()) + " knobs)");
  return i;
}

}  // namespace

void register_effect_bindings(py::module_& m) {
  py::class_<PyEffectModel>(m, "EffectModel",
                            "Kind 'effect' in the core: waveform in, waveform out, latency 0, any block size")
      .def(py::init([](const std::string& path) {
             auto p = std::make_unique<PyEffectModel>();
             rt_synth::Error e = EffectModel::load(path, p->model);
             if (e.ok()) e = p->model->prepare();
             if (!e.ok()) throw py::value_error(e.message);
             return p;
           }),
           py::arg("path"))
      .def_property_readonly("kind", [](const PyEffectModel&) { return "effect"; })
      .def_property_readonly("arch", [](const PyEffectModel& p) { return p.model->config().arch; })
      .def_property_readonly("name", [](const PyEffectModel& p) { return p.model->config().name; })
      .def_property_readonly("sample_rate", [](const PyEffectModel& p) { return p.model->sampleRate(); })
      .def_property_readonly("latency", [](const PyEffectModel& p) { return p.model->latency(); })
      .def_property_readonly("knobs",
                             [](const PyEffectModel& p) {
                               py::list out;
                               for (const auto& k : p.model->config().knobs) {
                                 py::dict d;
                                 d["name"] = k.name;
                                 d["min"] = k.min;
                                 d["max"] = k.max;
                                 d["default"] = k.def;
                                 out.append(d);
                               }
                               return out;
                             },
                             "the knobs the model is conditioned on: [{name, min, max, default}]")
      .def("set_knob",
           [](PyEffectModel& p, const py::object& key, float value) {
             const int i = knobIndex(p, key);
             if (value != value) throw py::value_error("set_knob: NaN is not a knob value");
             p.model->setKnob(i, value);
           },
           py::arg("knob"), py::arg("value"),
           "knob (name or index) = value, clamped to its range; applies from the next process() call")
      .def("knob", [](const PyEffectModel& p, const py::object& key) { return p.model->knob(knobIndex(p, key)); },
           py::arg("knob"), "the knob's value (as set, clamped)")
      .def("reset",
           [](PyEffectModel& p) {
             p.model->reset();
             if (p.host) p.host->reset();
           })
      .def("prepare_host",
           [](PyEffectModel& p, int sample_rate, int max_block) {
             if (max_block < 1 || max_block > (1 << 20)) throw py::value_error("max_block must be in 1..1048576");
             p.host.reset();
             p.host_rate = sample_rate;
             if (sample_rate != p.model->sampleRate()) {
               p.engine = std::make_unique<EffectEngine>();
               p.engine->model = p.model.get();
               p.host = std::make_unique<rt_synth::HostAdapter>();
               rt_synth::Error e = p.host->prepare(p.engine.get(), p.model->sampleRate(), sample_rate, max_block);
               if (!e.ok()) {
                 p.host.reset();
                 throw py::value_error(e.message);
               }
             }
             p.model->reset();
             if (p.host) p.host->reset();
           },
           py::arg("sample_rate"), py::arg("max_block") = 4096,
           "Play at a host rate: another than the model's goes through the core's HostAdapter "
           "(resampled in and out, as the C ABI and the plugins do; its delay in host_latency)")
      .def_property_readonly("host_latency",
                             [](const PyEffectModel& p) { return p.host ? p.host->latency() : p.model->latency(); },
                             "samples at the host rate of prepare_host (0 at the model's own rate)")
      .def("process",
           [](PyEffectModel& p, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
             if (x.ndim() != 1) throw py::value_error("EffectModel.process: a 1-D float32 array");
             const auto n = static_cast<int>(x.shape(0));
             py::array_t<float> y(n);
             const float* in = x.data();
             float* out = y.mutable_data();
             {
               py::gil_scoped_release release;
               if (p.host) {
                 for (int i = 0; i < n;) {
                   const int k = std::min(n - i, p.host->maxBlock());
                   p.host->process(in + i, out + i, k);
                   i += k;
                 }
               } else {
                 p.model->process(in, out, n);
               }
             }
             return y;
           },
           py::arg("x"), "x [n] → y [n], continuing from the state the last call left (at the host "
           "rate of prepare_host, else the model's)");
}
