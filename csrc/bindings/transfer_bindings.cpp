#include "bindings/transfer_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "dsp/output_limiter.h"
#include "host/host_adapter.h"
#include "host/resampler.h"
#include "transfer/loudness_meter.h"
#include "transfer/streaming_yin.h"
#include "transfer/timbre_transfer.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;

[[noreturn]] void raise(const py::module_& m, const Error& e) {
  const std::string msg = error_message(e);
  if (e.code != ErrorCode::kInvalidArgument && py::hasattr(m, "ModelFileError")) {
    PyErr_SetString(m.attr("ModelFileError").ptr(), msg.c_str());
    throw py::error_already_set();
  }
  throw py::value_error(msg);
}

const float* data1d(const F32& a, const char* name) {
  if (a.ndim() != 1) throw py::value_error(std::string(name) + " must be 1-D");
  return a.data();
}

// TimbreTransfer + (when the host rate differs from the model's) a HostAdapter around it.
struct PyTransfer {
  std::unique_ptr<TimbreTransfer> t;
  std::unique_ptr<HostAdapter> host;
  int host_rate = 0, max_block = 0;
  float pitch = 0, gain = 0, offset = 0, dry = 0, wet = 1, gate_db = -70;
  bool gate = true, octave = true;
  int gate_hold = 2, octave_hold = 3;
  bool prepared() const { return max_block > 0; }
  int latency() const { return host ? host->latency() : t->latency(); }
  double latencySeconds() const {
    return host ? host->latencySeconds() : static_cast<double>(t->latency()) / t->sampleRate();
  }
  void run(const float* in, float* out, int n) {
    if (host) host->process(in, out, n);
    else t->process(in, out, n);
  }
};

void registerTimbreTransfer(py::module_& m) {
  py::class_<PyTransfer>(m, "TimbreTransfer",
      "Live timbre transfer through a DDSP .rtsynth model: audio in -> YIN f0 + A-weighted loudness "
      "-> model -> audio out (docs/timbre-transfer.md). prepare() at any host rate: other rates than "
      "the model's go through the core's HostAdapter (resampling; its delay is in latency).")
      .def(py::init([m](const std::string& path, double f0_min, double f0_max, double threshold,
                        int loudness_n_fft, int feature_delay) {
             TransferAnalysis a;
             a.f0_min = f0_min;
             a.f0_max = f0_max;
             a.threshold = threshold;
             a.loudness_n_fft = loudness_n_fft;
             a.feature_delay = feature_delay;
             auto p = std::make_unique<PyTransfer>();
             Error e;
             {
               py::gil_scoped_release r;
               e = TimbreTransfer::load(path, p->t, a);
             }
             if (e) raise(m, e);
             return p;
           }),
           py::arg("path"), py::arg("f0_min") = 80.0, py::arg("f0_max") = 1800.0, py::arg("threshold") = 0.15,
           py::arg("loudness_n_fft") = 1024, py::arg("feature_delay") = -1)
      .def("prepare",
           [m](PyTransfer& p, int sample_rate, int max_block) {
             if (max_block < 1) throw py::value_error("max_block must be >= 1");
             p.max_block = 0;
             p.host.reset();
             const int sr = p.t->sampleRate();
             if (Error e = p.t->prepare(sr, sample_rate == sr ? max_block : 4096)) raise(m, e);
             if (sample_rate != sr) {
               p.host = std::make_unique<HostAdapter>();
               if (Error e = p.host->prepare(p.t.get(), sr, sample_rate, max_block)) raise(m, e);
               p.host->setOutputCeilingDb(p.t->outputCeilingDb());
             }
             p.host_rate = sample_rate;
             p.max_block = max_block;
           },
           py::arg("sample_rate"), py::arg("max_block"))
      .def("reset",
           [](PyTransfer& p, uint64_t seed) {
             p.t->reset(seed);
             if (p.host) p.host->reset();
           },
           py::arg("seed") = 0)
      .def("process",
           [](PyTransfer& p, F32 x, std::optional<py::array_t<float>> out) {
             if (!p.prepared()) throw py::value_error("TimbreTransfer: call prepare() before process()");
             const float* in = data1d(x, "x");
             const py::ssize_t n = x.shape(0);
             if (n > p.max_block)
               throw py::value_error("block of " + std::to_string(n) + " samples > max_block " +
                                     std::to_string(p.max_block));
             py::array_t<float> y = out ? *out : py::array_t<float>(n);
             if (y.ndim() != 1 || y.shape(0) != n || !y.writeable() || !(y.flags() & py::array::c_style))
               throw py::value_error("out must be a writeable contiguous float32 array of length n");
             float* o = y.mutable_data();
             {
               py::gil_scoped_release r;
               if (n > 0) p.run(in, o, static_cast<int>(n));
             }
             return y;
           },
           py::arg("x"), py::arg("out") = py::none(), "float32[n] -> float32[n] (n <= max_block), real time.")
      .def("process_with_controls",
           [](PyTransfer& p, F32 x) {
             if (!p.prepared() || p.host)
               throw py::value_error("process_with_controls: prepare at the model's own rate first");
             const float* in = data1d(x, "x");
             const py::ssize_t n = x.shape(0);
             if (n > p.max_block) throw py::value_error("block larger than max_block");
             py::array_t<float> y(n), f0(n), ld(n), gate(n);
             if (n > 0) {
               p.run(in, y.mutable_data(), static_cast<int>(n));
               if (p.t->lastBlock() != n) throw py::value_error("process_with_controls: n must be <= 4096");
               std::copy(p.t->lastF0(), p.t->lastF0() + n, f0.mutable_data());
               std::copy(p.t->lastLoudness(), p.t->lastLoudness() + n, ld.mutable_data());
               std::copy(p.t->lastGate(), p.t->lastGate() + n, gate.mutable_data());
             }
             return py::make_tuple(y, f0, ld, gate);
           },
           py::arg("x"), "-> (out, f0 Hz, loudness dB, gate target) per sample, as the model saw them.")
      .def_property_readonly("latency", &PyTransfer::latency, "Input -> output delay in host samples.")
      .def_property_readonly("latency_seconds", &PyTransfer::latencySeconds)
      .def_property_readonly("model_latency", [](const PyTransfer& p) { return p.t->latency(); },
                             "feature_delay + hop, in model samples.")
      .def_property_readonly("resampling_delay_seconds",
                             [](const PyTransfer& p) { return p.host ? p.host->resamplingDelaySeconds() : 0.0; })
      .def_property_readonly("feature_delay", [](const PyTransfer& p) { return p.t->featureDelay(); })
      .def_property_readonly("hop", [](const PyTransfer& p) { return p.t->hop(); })
      .def_property_readonly("model_sample_rate", [](const PyTransfer& p) { return p.t->sampleRate(); })
      .def_property_readonly("sample_rate", [](const PyTransfer& p) { return p.host_rate; })
      .def_property_readonly("max_block", [](const PyTransfer& p) { return p.max_block; })
      .def_property_readonly("yin_window", [](const PyTransfer& p) { return p.t->yin().window(); })
      .def_property_readonly("underruns", [](const PyTransfer& p) { return p.host ? p.host->underruns() : 0; })
      .def_property("pitch_shift", [](const PyTransfer& p) { return p.pitch; },
                    [](PyTransfer& p, float v) { p.pitch = v; p.t->setPitchShift(v); }, "semitones")
      .def_property("input_gain_db", [](const PyTransfer& p) { return p.gain; },
                    [](PyTransfer& p, float v) { p.gain = v; p.t->setInputGainDb(v); })
      .def_property("loudness_offset_db", [](const PyTransfer& p) { return p.offset; },
                    [](PyTransfer& p, float v) { p.offset = v; p.t->setLoudnessOffsetDb(v); })
      .def_property("dry", [](const PyTransfer& p) { return p.dry; },
                    [](PyTransfer& p, float v) { p.dry = v; p.t->setDryWet(p.dry, p.wet); })
      .def_property("wet", [](const PyTransfer& p) { return p.wet; },
                    [](PyTransfer& p, float v) { p.wet = v; p.t->setDryWet(p.dry, p.wet); })
      .def("set_gate",
           [](PyTransfer& p, bool enabled, float threshold_db, int hold_frames) {
             p.gate = enabled; p.gate_db = threshold_db; p.gate_hold = hold_frames;
             p.t->setGate(enabled, threshold_db, hold_frames);
           },
           py::arg("enabled") = true, py::arg("threshold_db") = -70.f, py::arg("hold_frames") = 2)
      .def("set_output_ceiling_db",
           [](PyTransfer& p, float db) {
             p.t->setOutputCeilingDb(db);
             if (p.host) p.host->setOutputCeilingDb(db);
           },
           py::arg("db"), "Ceiling of the safety stage, dBFS, clamped to -24..+12 (default 0: |y| <= 1; docs/safety.md).")
      .def_property_readonly("output_ceiling_db", [](PyTransfer& p) { return p.t->outputCeilingDb(); })
      .def("set_octave_smoothing",
           [](PyTransfer& p, bool enabled, int hold_frames) {
             p.octave = enabled; p.octave_hold = hold_frames;
             p.t->setOctaveSmoothing(enabled, hold_frames);
           },
           py::arg("enabled") = true, py::arg("hold_frames") = 3);
}

struct PyYin {
  StreamingYin y;
};
struct PyLoud {
  LoudnessMeter l;
};
struct PyResampler {
  Resampler r;
};

void registerPieces(py::module_& m) {
  auto t = m.def_submodule("transfer", "Timbre-transfer analysis and host resampling of the core");
  py::class_<PyYin>(t, "StreamingYin", "C++ port of rt_synth.dsp.yin.StreamingYin (docs/yin.md).")
      .def(py::init([](double sr, int hop, double f0_min, double f0_max, double threshold) {
             auto p = std::make_unique<PyYin>();
             if (Error e = p->y.prepare(sr, hop, f0_min, f0_max, threshold)) throw py::value_error(e.message);
             return p;
           }),
           py::arg("sample_rate") = 48000.0, py::arg("hop") = 192, py::arg("f0_min") = 60.0,
           py::arg("f0_max") = 1800.0, py::arg("threshold") = 0.15)
      .def("reset", [](PyYin& p) { p.y.reset(); })
      .def("push",
           [](PyYin& p, F32 x) {
             const float* a = data1d(x, "x");
             std::vector<float> f0, per;
             std::vector<uint8_t> voiced;
             {
               py::gil_scoped_release r;
               for (py::ssize_t i = 0; i < x.shape(0); ++i)
                 if (p.y.push(a[i])) {
                   f0.push_back(p.y.frame().f0);
                   per.push_back(p.y.frame().periodicity);
                   voiced.push_back(p.y.frame().voiced);
                 }
             }
             py::array_t<float> F(f0.size()), P(per.size());
             py::array_t<bool> V(voiced.size());
             std::copy(f0.begin(), f0.end(), F.mutable_data());
             std::copy(per.begin(), per.end(), P.mutable_data());
             for (std::size_t i = 0; i < voiced.size(); ++i) V.mutable_data()[i] = voiced[i];
             return py::make_tuple(F, P, V);
           },
           py::arg("x"), "block -> (f0, periodicity, voiced) of the frames it completes")
      .def_property_readonly("window", [](const PyYin& p) { return p.y.window(); })
      .def_property_readonly("tau_min", [](const PyYin& p) { return p.y.tauMin(); })
      .def_property_readonly("tau_max", [](const PyYin& p) { return p.y.tauMax(); });

  py::class_<PyLoud>(t, "LoudnessMeter", "C++ port of rt_synth.dsp.loudness.a_weighted_loudness, streaming.")
      .def(py::init([](double sr, int hop, int n_fft) {
             auto p = std::make_unique<PyLoud>();
             if (Error e = p->l.prepare(sr, hop, n_fft)) throw py::value_error(e.message);
             return p;
           }),
           py::arg("sample_rate") = 48000.0, py::arg("hop") = 192, py::arg("n_fft") = 1024)
      .def("reset", [](PyLoud& p) { p.l.reset(); })
      .def("push",
           [](PyLoud& p, F32 x) {
             const float* a = data1d(x, "x");
             std::vector<double> db;
             {
               py::gil_scoped_release r;
               for (py::ssize_t i = 0; i < x.shape(0); ++i)
                 if (p.l.push(a[i])) db.push_back(p.l.loudnessDbExact());
             }
             py::array_t<double> D(db.size());
             std::copy(db.begin(), db.end(), D.mutable_data());
             return D;
           },
           py::arg("x"), "block -> loudness dB (float64) of the frames it completes");

  py::class_<PyResampler>(t, "Resampler", "Streaming polyphase windowed-sinc resampler of the core.")
      .def(py::init([](int rate_in, int rate_out, double stopband_db) {
             auto p = std::make_unique<PyResampler>();
             if (Error e = p->r.prepare(rate_in, rate_out, stopband_db)) throw py::value_error(e.message);
             return p;
           }),
           py::arg("rate_in"), py::arg("rate_out"), py::arg("stopband_db") = 90.0)
      .def("reset", [](PyResampler& p) { p.r.reset(); })
      .def("process",
           [](PyResampler& p, F32 x) {
             const float* a = data1d(x, "x");
             const int n = static_cast<int>(x.shape(0));
             std::vector<float> y(static_cast<std::size_t>(p.r.maxOutput(n)));
             int k;
             {
               py::gil_scoped_release r;
               k = p.r.process(a, n, y.data());
             }
             py::array_t<float> Y(k);
             std::copy(y.begin(), y.begin() + k, Y.mutable_data());
             return Y;
           },
           py::arg("x"))
      .def_property_readonly("delay_seconds", [](const PyResampler& p) { return p.r.delaySeconds(); })
      .def_property_readonly("delay_output_samples", [](const PyResampler& p) { return p.r.delayOutputSamples(); })
      .def_property_readonly("taps_per_phase", [](const PyResampler& p) { return p.r.tapsPerPhase(); })
      .def_property_readonly("up", [](const PyResampler& p) { return p.r.up(); })
      .def_property_readonly("down", [](const PyResampler& p) { return p.r.down(); });

  py::class_<OutputLimiter>(t, "OutputLimiter",
                            "The core's final safety stage (docs/safety.md): NaN/Inf -> 0, |y| <= ceiling, "
                            "bit for bit below ceiling - 1 dB. Stateful (a peak detector), like in the engines.")
      .def(py::init([](double sample_rate, float ceiling_db) {
             auto l = std::make_unique<OutputLimiter>();
             l->setCeilingDb(ceiling_db);
             l->prepare(sample_rate);
             return l;
           }),
           py::arg("sample_rate"), py::arg("ceiling_db") = OutputLimiter::kDefaultCeilingDb)
      .def("reset", &OutputLimiter::reset)
      .def("process",
           [](OutputLimiter& l, F32 x) {
             const float* a = data1d(x, "x");
             const int n = static_cast<int>(x.shape(0));
             py::array_t<float> y(n);
             std::copy(a, a + n, y.mutable_data());
             l.process(y.mutable_data(), n);
             return y;
           },
           py::arg("x"), "float32[n] -> float32[n], continuing the stream")
      .def_property_readonly("ceiling_db", &OutputLimiter::ceilingDb)
      .def_readonly_static("min_ceiling_db", &OutputLimiter::kMinCeilingDb)
      .def_readonly_static("max_ceiling_db", &OutputLimiter::kMaxCeilingDb);
}

}  // namespace

void register_transfer_bindings(py::module_& m) {
  registerPieces(m);
  registerTimbreTransfer(m);
}
