#include "kinds/ddsp/ddsp_model_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/control_ramp.h"
#include "dsp/control_scaling.h"
#include "dsp/counter_noise.h"
#include "dsp/filtered_noise.h"
#include "dsp/harmonic_oscillator.h"
#include "format/model_file.h"
#include "kinds/ddsp/ddsp_model.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;
using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;

void requireDims(const py::array& a, int ndim, const char* name) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) +
                          " dimension(s), got " + std::to_string(a.ndim()));
}

// Render a frame-by-frame synthesis in chunks of `chunk` samples (chunks never cross frames
// inside the DSP objects; this splits them the way a streaming host would).
template <typename RenderFn>
void renderFrames(int n_frames, int hop, int chunk, float* out, RenderFn&& begin_and_render) {
  if (chunk <= 0) chunk = hop;
  for (int i = 0; i < n_frames; ++i) begin_and_render(i, out + static_cast<long>(i) * hop, chunk);
}

void registerDsp(py::module_& m) {
  auto d = m.def_submodule("dsp", "DSP building blocks of the core (docs/ddsp-maths.md)");

  d.def("counter_noise",
        [](uint64_t seed, uint64_t start, int n) {
          if (n < 0) throw py::value_error("n must be >= 0");
          F32 out(n);
          float* o = out.mutable_data();
          for (int i = 0; i < n; ++i) o[i] = dsp::counterNoiseValue(seed, start + i);
          return out;
        },
        py::arg("seed"), py::arg("start"), py::arg("n"),
        "Counter-based white noise u(start..start+n-1) in [-1, 1) (§4).");

  d.def("exp_sigmoid",
        [](F32 x) {
          F32 out(x.request().shape);
          const float* a = x.data();
          float* o = out.mutable_data();
          for (py::ssize_t i = 0; i < x.size(); ++i) o[i] = dsp::expSigmoid(a[i]);
          return out;
        },
        py::arg("x"));

  d.def("causal_frame_upsample",
        [](F32 frames, int hop, F32 first) {
          requireDims(frames, 2, "frames");
          const int F = static_cast<int>(frames.shape(0)), C = static_cast<int>(frames.shape(1));
          if (first.size() != C) throw py::value_error("first must have one value per channel");
          if (hop <= 0) throw py::value_error("hop must be > 0");
          F64 out({static_cast<py::ssize_t>(F) * hop, static_cast<py::ssize_t>(C)});
          dsp::causalFrameUpsample(frames.data(), F, C, hop, first.data(), out.mutable_data());
          return out;
        },
        py::arg("frames"), py::arg("hop"), py::arg("first"),
        "frames [F, C] → [F·hop, C] causal linear ramp from c[-1] = first (§2), float64.");

  d.def("harmonic_amplitudes",
        [](F32 a_raw, F32 d_raw, F32 f0, float sample_rate) {
          requireDims(d_raw, 2, "d_raw");
          const int F = static_cast<int>(d_raw.shape(0)), K = static_cast<int>(d_raw.shape(1));
          if (a_raw.size() != F || f0.size() != F)
            throw py::value_error("a_raw and f0 must have one value per frame");
          F32 out({F, K});
          for (int i = 0; i < F; ++i)
            dsp::harmonicAmplitudes(a_raw.data()[i], d_raw.data() + static_cast<long>(i) * K, K,
                                    f0.data()[i], sample_rate, out.mutable_data() + static_cast<long>(i) * K);
          return out;
        },
        py::arg("a_raw"), py::arg("d_raw"), py::arg("f0_hz"), py::arg("sample_rate"),
        "Raw decoder outputs → harmonic amplitudes A[F, K] (§1).");

  d.def("noise_magnitudes",
        [](F32 n_raw) {
          F32 out(n_raw.request().shape);
          dsp::noiseMagnitudes(n_raw.data(), static_cast<int>(n_raw.size()), out.mutable_data());
          return out;
        },
        py::arg("n_raw"));

  d.def("harmonic_oscillator",
        [](F32 f0_frames, F32 amps, double sample_rate, int hop, int chunk) {
          requireDims(f0_frames, 1, "f0_hz");
          requireDims(amps, 2, "amplitudes");
          const int F = static_cast<int>(f0_frames.shape(0)), K = static_cast<int>(amps.shape(1));
          if (amps.shape(0) != F) throw py::value_error("amplitudes must be [F, K]");
          if (hop <= 0 || K <= 0) throw py::value_error("hop and K must be > 0");
          F32 out(static_cast<py::ssize_t>(F) * hop);
          const float* f0 = f0_frames.data();
          const float* a = amps.data();
          float* o = out.mutable_data();
          {
            py::gil_scoped_release release;
            dsp::HarmonicOscillator osc;
            osc.prepare(sample_rate, hop, K);
            renderFrames(F, hop, chunk, o, [&](int i, float* dst, int c) {
              osc.beginFrame(f0[i], a + static_cast<long>(i) * K);
              for (int done = 0; done < hop; done += c) osc.render(dst + done, std::min(c, hop - done));
            });
          }
          return out;
        },
        py::arg("f0_hz"), py::arg("amplitudes"), py::arg("sample_rate"), py::arg("hop"),
        py::arg("chunk") = 0,
        "Per-frame f0 [F] and harmonic amplitudes [F, K] → audio [F·hop] (§2–3).");

  d.def("noise_impulse_response",
        [](F32 mags) {
          requireDims(mags, 1, "magnitudes");
          const int B = static_cast<int>(mags.shape(0));
          if (B < 2) throw py::value_error("need at least 2 bands");
          dsp::FilteredNoise fn;
          fn.prepare(1, B);
          F32 out(fn.filterLength());
          fn.computeImpulseResponse(mags.data(), out.mutable_data());
          return out;
        },
        py::arg("magnitudes"), "roll(irfft(m), L/2) · hann_symmetric (§4).");

  d.def("filtered_noise",
        [](F32 mags, F32 noise, int hop, int chunk) {
          requireDims(mags, 2, "magnitudes");
          const int F = static_cast<int>(mags.shape(0)), B = static_cast<int>(mags.shape(1));
          if (hop <= 0 || B < 2) throw py::value_error("hop must be > 0 and bands >= 2");
          if (noise.size() != static_cast<py::ssize_t>(F) * hop)
            throw py::value_error("noise must have F·hop samples");
          F32 out(static_cast<py::ssize_t>(F) * hop);
          const float* m = mags.data();
          const float* u = noise.data();
          float* o = out.mutable_data();
          {
            py::gil_scoped_release release;
            std::fill(o, o + static_cast<long>(F) * hop, 0.0f);
            dsp::FilteredNoise fn;
            fn.prepare(hop, B);
            renderFrames(F, hop, chunk, o, [&](int i, float* dst, int c) {
              fn.beginFrame(m + static_cast<long>(i) * B, u + static_cast<long>(i) * hop);
              for (int done = 0; done < hop; done += c) fn.renderAdd(dst + done, std::min(c, hop - done));
            });
          }
          return out;
        },
        py::arg("magnitudes"), py::arg("noise"), py::arg("hop"), py::arg("chunk") = 0,
        "Per-frame band magnitudes [F, B] and white noise [F·hop] → filtered noise (§4).");
}

// Errors from the model-file reader surface as the reader's Python exception type when the
// format bindings registered one on the module, else as ValueError.
[[noreturn]] void throwError(const py::module_& m, const Error& e) {
  static const char* const kNames[] = {"ModelFileError", "ModelFormatError", "FormatError"};
  std::string msg = error_message(e);
  for (const char* name : kNames) {
    if (py::hasattr(m, name)) {
      PyErr_SetString(m.attr(name).ptr(), msg.c_str());
      throw py::error_already_set();
    }
  }
  if (e.code == ErrorCode::kIoError) throw py::value_error(msg);  // (FileNotFoundError below)
  throw py::value_error(msg);
}

py::dict metadataOf(const DDSPConfig& c) {
  py::dict d;
  d["kind"] = "ddsp";
  d["name"] = c.name;
  d["sample_rate"] = c.sample_rate;
  d["hop"] = c.hop;
  d["latency_samples"] = c.latency_samples;
  d["parameters"] = c.parameters;
  d["n_harmonics"] = c.n_harmonics;
  d["n_noise_bands"] = c.n_noise_bands;
  d["hidden_size"] = c.hidden_size;
  d["gru_size"] = c.gru_size;
  d["mlp_layers"] = c.mlp_layers;
  d["f0_midi_mean"] = c.f0_midi_mean;
  d["f0_midi_std"] = c.f0_midi_std;
  d["loudness_mean"] = c.loudness_mean;
  d["loudness_std"] = c.loudness_std;
  d["f0_min_hz"] = c.f0_min_hz;
  d["f0_max_hz"] = c.f0_max_hz;
  d["loudness_min_db"] = c.loudness_min_db;
  d["loudness_max_db"] = c.loudness_max_db;
  return d;
}

// Python face of DDSPModel: owns the model, checks arguments, releases the GIL in process.
struct PyDDSPModel {
  std::unique_ptr<DDSPModel> model;
  py::module_ mod;
};

std::unique_ptr<PyDDSPModel> loadDDSP(const py::module_& m, const std::string& path) {
  auto p = std::make_unique<PyDDSPModel>();
  p->mod = m;
  Error e;
  {
    py::gil_scoped_release release;
    e = DDSPModel::load(path, p->model);
  }
  if (e) throwError(m, e);
  return p;
}

void registerDDSP(py::module_& m) {
  py::class_<PyDDSPModel>(m, "DDSPModel",
                          "Streaming DDSP model read from a .rtsynth file (docs/core-ddsp.md).")
      .def(py::init([m](const std::string& path) { return loadDDSP(m, path); }), py::arg("path"))
      .def_property_readonly("kind", [](const PyDDSPModel&) { return "ddsp"; })
      .def_property_readonly("name", [](const PyDDSPModel& p) { return p.model->config().name; })
      .def_property_readonly("sample_rate", [](const PyDDSPModel& p) { return p.model->sampleRate(); })
      .def_property_readonly("hop", [](const PyDDSPModel& p) { return p.model->hop(); })
      .def_property_readonly("latency", [](const PyDDSPModel& p) { return p.model->latency(); })
      .def_property_readonly("max_block", [](const PyDDSPModel& p) { return p.model->maxBlock(); })
      .def_property_readonly("prepared", [](const PyDDSPModel& p) { return p.model->prepared(); })
      .def_property_readonly("sample_counter",
                             [](const PyDDSPModel& p) { return p.model->sampleCounter(); })
      .def_property_readonly("metadata", [](const PyDDSPModel& p) { return metadataOf(p.model->config()); })
      .def("prepare",
           [](PyDDSPModel& p, double sample_rate, int max_block) {
             if (Error e = p.model->prepare(sample_rate, max_block)) throw py::value_error(e.message);
           },
           py::arg("sample_rate"), py::arg("max_block"))
      .def("reset", [](PyDDSPModel& p, uint64_t seed) { p.model->reset(seed); }, py::arg("seed") = 0,
           "Silence; the counter noise restarts at sample 0 with this seed.")
      .def("process",
           [](PyDDSPModel& p, F32 f0, F32 loudness, std::optional<py::array_t<float>> out) {
             if (!p.model->prepared()) throw py::value_error("DDSPModel: call prepare() before process()");
             requireDims(f0, 1, "f0");
             requireDims(loudness, 1, "loudness");
             const py::ssize_t n = f0.shape(0);
             if (loudness.shape(0) != n) throw py::value_error("f0 and loudness must have the same length");
             if (n > p.model->maxBlock())
               throw py::value_error("block of " + std::to_string(n) + " samples is larger than max_block = " +
                                     std::to_string(p.model->maxBlock()));
             py::array_t<float> result;
             if (out) {
               result = *out;
               if (result.ndim() != 1 || result.shape(0) != n || !(result.flags() & py::array::c_style) ||
                   !result.writeable())
                 throw py::value_error("out must be a writeable contiguous float32 array of length n");
             } else {
               result = py::array_t<float>(n);
             }
             const float* a = f0.data();
             const float* b = loudness.data();
             float* o = result.mutable_data();
             {
               py::gil_scoped_release release;
               p.model->process(a, b, o, static_cast<int>(n));
             }
             return result;
           },
           py::arg("f0"), py::arg("loudness"), py::arg("out") = py::none(),
           "Per-sample f0 (Hz) and loudness (dB), float32[n] → audio float32[n] (n ≤ max_block).");

  m.def("load_model", [m](const std::string& path) { return loadDDSP(m, path); }, py::arg("path"),
        "Load a .rtsynth model and build the kind it names (only 'ddsp' for now).");
}

}  // namespace

void register_model_bindings(py::module_& m) {
  registerDsp(m);
  registerDDSP(m);
}
