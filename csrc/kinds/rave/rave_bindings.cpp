#include "kinds/rave/rave_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "format/model_file.h"
#include "kinds/rave/rave_model.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;

[[noreturn]] void throwError(const py::module_& m, const Error& e) {
  const std::string msg = error_message(e);
  if (e.code != ErrorCode::kInvalidArgument && py::hasattr(m, "ModelFileError")) {
    PyErr_SetString(m.attr("ModelFileError").ptr(), msg.c_str());
    throw py::error_already_set();
  }
  throw py::value_error(msg);
}

struct PyRaveModel {
  std::unique_ptr<RaveModel> model;
};

std::unique_ptr<PyRaveModel> fromFile(const py::module_& m, const ModelFile& f) {
  auto p = std::make_unique<PyRaveModel>();
  Error e;
  {
    py::gil_scoped_release release;
    e = RaveModel::fromFile(f, p->model);
  }
  if (e) throwError(m, e);
  return p;
}

std::unique_ptr<PyRaveModel> loadRave(const py::module_& m, const std::string& path) {
  ModelFile f;
  Error e;
  {
    py::gil_scoped_release release;
    e = ModelFile::load(path, f);
  }
  if (e) throwError(m, e);
  return fromFile(m, f);
}

py::list intList(const std::vector<int>& v) {
  py::list l;
  for (int x : v) l.append(x);
  return l;
}

py::dict metadataOf(const RaveConfig& c) {
  py::dict d;
  d["kind"] = "rave";
  d["name"] = c.name;
  d["sample_rate"] = c.sample_rate;
  d["ratio"] = c.ratio;
  d["latency_samples"] = c.latency_samples;
  d["parameters"] = c.parameters;
  d["n_bands"] = c.n_bands;
  d["pqmf_taps"] = c.pqmf_taps;
  d["latent_size"] = c.latent_size;
  d["encoder_channels"] = intList(c.encoder_channels);
  d["encoder_strides"] = intList(c.encoder_strides);
  d["decoder_channels"] = intList(c.decoder_channels);
  d["decoder_strides"] = intList(c.decoder_strides);
  d["dilations"] = intList(c.dilations);
  d["kernel"] = c.kernel;
  d["noise"] = c.noise;
  d["noise_seed"] = c.noise_seed;
  d["leaky_slope"] = c.leaky_slope;
  d["decoder_gate_floor"] = c.decoder_gate_floor;
  d["decoder_dc_block_hz"] = c.decoder_dc_block_hz;
  d["input_gain"] = c.input_gain;
  d["latent_offset_range"] = c.latent_offset_range;
  d["latent_scale_max"] = c.latent_scale_max;
  d["pitch_source"] = c.pitch_source;
  if (c.pitch_source) {
    d["pitch_f0_min"] = c.pitch_f0_min;
    d["pitch_f0_max"] = c.pitch_f0_max;
    d["pitch_threshold"] = c.pitch_threshold;
    d["pitch_harmonic_limit"] = c.pitch_harmonic_limit;
    d["pitch_gate_low"] = c.pitch_gate_low;
    d["pitch_gate_high"] = c.pitch_gate_high;
    d["pitch_level"] = c.pitch_level;
  }
  d["harmonics"] = c.harmonics;
  if (c.harmonics > 0) {
    d["harmonic_channels"] = c.harmonic_channels;
    d["harmonic_f0"] = c.harmonic_f0;
    d["harmonic_latent"] = c.harmonic_latent;
    d["harmonic_loudness"] = c.harmonic_loudness;
    d["harmonic_layers"] = c.harmonic_layers;
    d["harmonic_noise"] = c.harmonic_noise;
    if (c.harmonic_loudness) {
      d["loudness_floor_db"] = c.loudness_floor_db;
      d["loudness_max"] = c.loudness_max;
    }
  }
  return d;
}

RaveModel& prepared(PyRaveModel& p) {
  if (!p.model->prepared()) throw py::value_error("RaveModel: call prepare() before processing");
  return *p.model;
}

void checkIndex(const RaveModel& r, int i) {
  if (i < 0 || i >= r.latentSize())
    throw py::index_error("latent index " + std::to_string(i) + " outside 0.." + std::to_string(r.latentSize() - 1));
}

}  // namespace

void register_rave_bindings(py::module_& m) {
  py::class_<PyRaveModel>(m, "RaveModel",
                          "Streaming RAVE-style model read from a .rtsynth file of kind 'rave' "
                          "(docs/core-rave.md). encode/decode/forward keep their state between calls "
                          "and share it: use one per stream, or reset() in between.")
      .def(py::init([m](const std::string& path) { return loadRave(m, path); }), py::arg("path"))
      .def_property_readonly("kind", [](const PyRaveModel&) { return "rave"; })
      .def_property_readonly("name", [](const PyRaveModel& p) { return p.model->config().name; })
      .def_property_readonly("sample_rate", [](const PyRaveModel& p) { return p.model->sampleRate(); })
      .def_property_readonly("ratio", [](const PyRaveModel& p) { return p.model->ratio(); })
      .def_property_readonly("hop", [](const PyRaveModel& p) { return p.model->ratio(); })
      .def_property_readonly("latent_size", [](const PyRaveModel& p) { return p.model->latentSize(); })
      .def_property_readonly("latency", [](const PyRaveModel& p) { return p.model->latency(); })
      .def_property_readonly("max_block", [](const PyRaveModel& p) { return p.model->maxBlock(); })
      .def_property_readonly("prepared", [](const PyRaveModel& p) { return p.model->prepared(); })
      .def_property_readonly("metadata", [](const PyRaveModel& p) { return metadataOf(p.model->config()); })
      .def_property_readonly("latent_std",
                             [](const PyRaveModel& p) {
                               F32 out(p.model->latentSize());
                               for (int i = 0; i < p.model->latentSize(); ++i)
                                 out.mutable_data()[i] = p.model->latentStd(i);
                               return out;
                             })
      .def("prepare",
           [](PyRaveModel& p, double sample_rate, int max_block) {
             if (Error e = p.model->prepare(sample_rate, max_block)) throw py::value_error(e.message);
           },
           py::arg("sample_rate"), py::arg("max_block"))
      .def("reset", [](PyRaveModel& p) { p.model->reset(); }, "Silence; sample counters back to 0.")
      .def("forward",
           [](PyRaveModel& p, F32 x) {
             RaveModel& r = prepared(p);
             if (x.ndim() != 1) throw py::value_error("forward: x must be 1-D float32 audio");
             const int n = static_cast<int>(x.shape(0));
             F32 out(n);
             const float* a = x.data();
             float* o = out.mutable_data();
             {
               py::gil_scoped_release release;
               r.process(a, o, n);
             }
             return out;
           },
           py::arg("x"), "Timbre transfer: audio float32[n] → audio float32[n] (streaming).")
      .def("encode",
           [](PyRaveModel& p, F32 x) {
             RaveModel& r = prepared(p);
             if (x.ndim() != 1) throw py::value_error("encode: x must be 1-D float32 audio");
             const int n = static_cast<int>(x.shape(0));
             const int m = r.encodeFrames(n);
             F32 out({r.latentSize(), m});
             const float* a = x.data();
             float* o = out.mutable_data();
             {
               py::gil_scoped_release release;
               r.encode(a, n, o);
             }
             return out;
           },
           py::arg("x"),
           "audio float32[n] → latent controls float32[D, m]: one frame for each multiple of the ratio "
           "the stream passes in this call (streaming).")
      .def("decode",
           [](PyRaveModel& p, F32 z) {
             RaveModel& r = prepared(p);
             if (z.ndim() != 2 || z.shape(0) != r.latentSize())
               throw py::value_error("decode: z must be float32[" + std::to_string(r.latentSize()) + ", frames]");
             const int f = static_cast<int>(z.shape(1));
             F32 out(static_cast<py::ssize_t>(f) * r.ratio());
             const float* a = z.data();
             float* o = out.mutable_data();
             {
               py::gil_scoped_release release;
               r.decode(a, f, o);
             }
             return out;
           },
           py::arg("z"),
           "latent controls float32[D, F] → audio float32[F·ratio] (streaming). A pitch source model takes "
           "the tracker's newest (f0, periodicity) (tracked_pitch) for every frame: see decode_with_pitch.")
      .def("decode_with_pitch",
           [](PyRaveModel& p, F32 z, F32 f0, F32 per, std::optional<F32> loud) {
             RaveModel& r = prepared(p);
             if (!r.hasPitchSource())
               throw py::value_error("decode_with_pitch: this model has no pitch source (use decode)");
             if (z.ndim() != 2 || z.shape(0) != r.latentSize())
               throw py::value_error("decode_with_pitch: z must be float32[" + std::to_string(r.latentSize()) +
                                     ", frames]");
             const py::ssize_t f = z.shape(1);
             if (f0.ndim() != 1 || per.ndim() != 1 || f0.shape(0) != f || per.shape(0) != f)
               throw py::value_error("decode_with_pitch: f0 and periodicity must be float32[" + std::to_string(f) +
                                     "] (one value per latent frame)");
             if (loud && (loud->ndim() != 1 || loud->shape(0) != f))
               throw py::value_error("decode_with_pitch: loudness must be float32[" + std::to_string(f) +
                                     "] (one value per latent frame)");
             F32 out(f * r.ratio());
             const float* a = z.data();
             const float* pf = f0.data();
             const float* pp = per.data();
             const float* pl = loud ? loud->data() : nullptr;
             float* o = out.mutable_data();
             {
               py::gil_scoped_release release;
               r.decodeWithPitch(a, pf, pp, static_cast<int>(f), o, pl);
             }
             return out;
           },
           py::arg("z"), py::arg("f0"), py::arg("periodicity"), py::arg("loudness") = py::none(),
           "Pitch source models: latent controls float32[D, F], f0 (Hz) and periodicity (0..1) float32[F] "
           "per latent frame → audio float32[F·ratio] (streaming; f0 clamped to pitch_range). loudness "
           "float32[F] (0..loudness_max): the harmonic head's loudness input, for a head that reads it; "
           "None: the tracker's newest (tracked_loudness).")
      .def_property_readonly("tracked_loudness", [](const PyRaveModel& p) { return p.model->trackedLoudness(); },
                             "The loudness feature of the tracker's newest frame (0 after reset).")
      .def_property_readonly("pitch_source", [](const PyRaveModel& p) { return p.model->hasPitchSource(); })
      .def_property_readonly("pitch_range",
                             [](const PyRaveModel& p) -> py::object {
                               const RaveConfig& c = p.model->config();
                               if (!c.pitch_source) return py::none();
                               return py::make_tuple(c.pitch_f0_min, c.pitch_f0_max);
                             },
                             "(f0_min, f0_max) Hz of the pitch source's tracker, None without one.")
      .def_property_readonly("tracked_pitch",
                             [](const PyRaveModel& p) {
                               return py::make_tuple(p.model->trackedF0(), p.model->trackedPeriodicity());
                             },
                             "(f0, periodicity) of the pitch tracker's newest frame: what decode() uses on a "
                             "pitch source model ((f0_min, 0) after reset; (0, 0) without a pitch source).")
      .def("set_latent_offset",
           [](PyRaveModel& p, int i, float v) {
             checkIndex(*p.model, i);
             p.model->setLatentOffset(i, v);
           },
           py::arg("index"), py::arg("value"),
           "Offset added to control i in forward (clamped to ±latent_offset_range·latent_std[i]).")
      .def("set_latent_scale",
           [](PyRaveModel& p, int i, float v) {
             checkIndex(*p.model, i);
             p.model->setLatentScale(i, v);
           },
           py::arg("index"), py::arg("value"), "Scale of control i in forward (clamped to 0..latent_scale_max).")
      .def("latent_offset", [](PyRaveModel& p, int i) { checkIndex(*p.model, i); return p.model->latentOffset(i); })
      .def("latent_scale", [](PyRaveModel& p, int i) { checkIndex(*p.model, i); return p.model->latentScale(i); });

  // load_model(path): RaveModel for kind "rave", else whatever load_model did before.
  py::object previous = py::getattr(m, "load_model", py::none());
  m.attr("load_model") = py::cpp_function(
      [m, previous](const std::string& path) -> py::object {
        ModelFile f;
        Error e;
        {
          py::gil_scoped_release release;
          e = ModelFile::load(path, f);
        }
        if (!e) {
          const GgufValue* kind = f.find("rt_synth.kind");
          if (kind && kind->type == GgufType::kString && kind->s == "rave") return py::cast(fromFile(m, f));
        }
        if (previous.is_none()) {
          if (e) throwError(m, e);
          throw py::value_error(path + ": unsupported model kind");
        }
        return previous(path);
      },
      py::name("load_model"), py::scope(m), py::arg("path"),
      "Load a .rtsynth model and build the kind it names ('ddsp' → DDSPModel, 'rave' → RaveModel).");
}
