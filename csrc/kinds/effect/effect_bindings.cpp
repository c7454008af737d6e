#include "kinds/effect/effect_bindings.h"

#include <pybind11/numpy.h>

#include <memory>
#include <string>

#include "kinds/effect/effect_model.h"

namespace py = pybind11;
using rt_synth::effect::EffectModel;

namespace {

struct PyEffectModel {
  std::unique_ptr<EffectModel> model;
};

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
      .def("reset", [](PyEffectModel& p) { p.model->reset(); })
      .def("process",
           [](PyEffectModel& p, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
             if (x.ndim() != 1) throw py::value_error("EffectModel.process: a 1-D float32 array");
             const auto n = static_cast<int>(x.shape(0));
             py::array_t<float> y(n);
             const float* in = x.data();
             float* out = y.mutable_data();
             {
               py::gil_scoped_release release;
               p.model->process(in, out, n);
             }
             return y;
           },
           py::arg("x"), "x [n] → y [n], continuing from the state the last call left");
}
