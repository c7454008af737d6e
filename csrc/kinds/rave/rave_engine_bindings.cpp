#include "kinds/rave/rave_engine_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kinds/rave/rave_engine.h"

namespace py = pybind11;
using rt_synth::Error;
using rt_synth::rave::RaveEngine;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::vector<uint8_t> bytesFrom(const py::object& b) {
  if (py::isinstance<py::bytes>(b)) {
    const std::string s = b.cast<std::string>();
    return std::vector<uint8_t>(s.begin(), s.end());
  }
  std::vector<uint8_t> out;
  for (auto item : b) out.push_back(static_cast<uint8_t>(item.cast<int>() & 0xFF));
  return out;
}

void checkIndex(const RaveEngine& e, int i) {
  if (i < 0 || i >= e.latentSize())
    throw py::index_error("latent index " + std::to_string(i) + " outside 0.." + std::to_string(e.latentSize() - 1));
}

RaveEngine::CCTarget targetFrom(const std::string& t) {
  if (t == "offset") return RaveEngine::kOffset;
  if (t == "scale") return RaveEngine::kScale;
  if (t == "global_scale") return RaveEngine::kGlobalScale;
  if (t == "none") return RaveEngine::kNone;
  throw py::value_error("CC target must be 'offset', 'scale', 'global_scale' or 'none'");
}

RaveEngine& prepared(RaveEngine& e) {
  if (!e.prepared()) throw py::value_error("RaveEngine: call prepare() before processing");
  return e;
}

}  // namespace

void register_rave_engine_bindings(py::module_& m) {
  py::class_<RaveEngine>(m, "RaveEngine",
                         "RAVE forward (timbre transfer) as a host engine: audio in → audio out at any "
                         "host rate, MIDI CCs steering the latent controls (docs/rave-engine.md).")
      .def(py::init([m](const std::string& path) {
             std::unique_ptr<RaveEngine> e;
             Error err;
             {
               py::gil_scoped_release nogil;
               err = RaveEngine::load(path, e);
             }
             if (err) {
               const std::string msg = rt_synth::error_message(err);
               if (py::hasattr(m, "ModelFileError")) {
                 PyErr_SetString(m.attr("ModelFileError").ptr(), msg.c_str());
                 throw py::error_already_set();
               }
               throw std::runtime_error(msg);
             }
             return e;
           }),
           py::arg("path"))
      .def("prepare",
           [](RaveEngine& e, double sr, int max_block) {
             if (Error err = e.prepare(sr, max_block)) throw py::value_error(err.message);
           },
           py::arg("sample_rate") = 48000.0, py::arg("max_block") = 4096)
      .def("process",
           [](RaveEngine& e, F32 x) {
             RaveEngine& r = prepared(e);
             if (x.ndim() != 1) throw py::value_error("process: x must be 1-D float32 audio");
             const int n = static_cast<int>(x.shape(0));
             F32 out(n);
             const float* a = x.data();
             float* o = out.mutable_data();
             {
               py::gil_scoped_release nogil;
               r.process(a, o, n);
             }
             return out;
           },
           py::arg("x"), "audio float32[n] → audio float32[n] (streaming forward, host rate).")
      .def("process_into",
           [](RaveEngine& e, py::array_t<float, py::array::c_style> out, py::object input) {
             RaveEngine& r = prepared(e);
             if (out.ndim() != 1) throw py::value_error("out must be 1-D float32 contiguous");
             float* o = out.mutable_data();
             const int n = static_cast<int>(out.shape(0));
             const float* ip = nullptr;
             py::array_t<float, py::array::c_style> in;
             if (!input.is_none()) {
               in = input.cast<py::array_t<float, py::array::c_style>>();
               if (in.ndim() != 1 || in.shape(0) < n) throw py::value_error("input must be 1-D float32 with >= len(out) samples");
               ip = in.data();
             }
             py::gil_scoped_release nogil;
             r.process(ip, o, n);
           },
           py::arg("out"), py::arg("input") = py::none(), "len(out) samples into out (no allocation).")
      .def("live_block",
           [](RaveEngine& e, py::array_t<float, py::array::c_style> out, py::object input,
              py::array_t<float, py::array::c_style> scratch) {
             // As Engine.live_block: input channel 0 → engine → every output channel; (sum sq, peak).
             RaveEngine& r = prepared(e);
             if (out.ndim() != 2 || scratch.ndim() != 1 || scratch.shape(0) < 2 * out.shape(0))
               throw py::value_error("out: (frames, channels) float32; scratch: float32 >= 2*frames");
             const int n = static_cast<int>(out.shape(0)), ch = static_cast<int>(out.shape(1));
             float* o = out.mutable_data();
             float* y = scratch.mutable_data();
             float* x = y + n;
             const float* ip = nullptr;
             if (!input.is_none()) {
               py::array_t<float> in = input.cast<py::array_t<float>>();
               py::buffer_info ib = in.request();
               if (ib.ndim != 2 || ib.shape[0] < n) throw py::value_error("input: (frames, channels) float32");
               const char* base = static_cast<const char*>(ib.ptr);
               for (int i = 0; i < n; ++i) x[i] = *reinterpret_cast<const float*>(base + i * ib.strides[0]);
               ip = x;
             }
             double sq = 0.0;
             float peak = 0.f;
             // GIL kept (see Engine.live_block: no priority inversion mid-callback).
             if (n) r.process(ip, y, n);
             for (int i = 0; i < n; ++i) {
               const float v = y[i];
               sq += static_cast<double>(v) * v;
               peak = std::max(peak, std::fabs(v));
               for (int c = 0; c < ch; ++c) o[static_cast<size_t>(i) * ch + c] = v;
             }
             return py::make_tuple(sq, peak);
           },
           py::arg("out"), py::arg("input"), py::arg("scratch"))
      .def("push_midi",
           [](RaveEngine& e, const py::object& data, int /*offset*/) {
             const auto b = bytesFrom(data);
             return e.pushMidi(b.data(), static_cast<int>(b.size()));
           },
           py::arg("data"), py::arg("offset") = 0,
           "Queues raw MIDI bytes (thread-safe, lock-free); applied at the start of the next block.")
      .def("map_cc",
           [](RaveEngine& e, int cc, const std::string& target, int index) {
             const auto t = targetFrom(target);
             if (t == RaveEngine::kOffset || t == RaveEngine::kScale) checkIndex(e, index);
             if (cc < 0 || cc > 127) throw py::value_error("cc must be in 0..127");
             return e.mapCC(cc, t, index);
           },
           py::arg("cc"), py::arg("target"), py::arg("index") = 0,
           "CC cc → 'offset' / 'scale' of latent control index, 'global_scale', or 'none' (unmap).")
      .def("set_latent_offset", [](RaveEngine& e, int i, float v) { checkIndex(e, i); e.setLatentOffset(i, v); },
           py::arg("index"), py::arg("value"))
      .def("set_latent_scale", [](RaveEngine& e, int i, float v) { checkIndex(e, i); e.setLatentScale(i, v); },
           py::arg("index"), py::arg("value"))
      .def("set_global_scale", &RaveEngine::setGlobalScale, py::arg("value"))
      .def("set_output_ceiling_db", &RaveEngine::setOutputCeilingDb, py::arg("db"),
           "Ceiling of the safety stage, dBFS, clamped to -24..+12 (default 0: |y| <= 1; docs/safety.md).")
      .def_property_readonly("output_ceiling_db", &RaveEngine::outputCeilingDb)
      .def("latent_offset", [](RaveEngine& e, int i) { checkIndex(e, i); return e.latentOffset(i); }, py::arg("index"),
           "Target offset of control i (set by API or CC; without the pitch-bend part).")
      .def("latent_scale", [](RaveEngine& e, int i) { checkIndex(e, i); return e.latentScale(i); }, py::arg("index"))
      .def("effective_offset", [](RaveEngine& e, int i) { checkIndex(e, i); return e.effectiveOffset(i); },
           py::arg("index"), "Offset the model uses (applied by the audio thread, clamped).")
      .def("effective_scale", [](RaveEngine& e, int i) { checkIndex(e, i); return e.effectiveScale(i); },
           py::arg("index"))
      .def_property_readonly("global_scale", &RaveEngine::globalScale)
      .def_property_readonly("bend_offset", &RaveEngine::bendOffset)
      .def("reset", &RaveEngine::reset, "Silence now (only while process() is not running).")
      .def("request_reset", &RaveEngine::requestReset, "Queues a model reset (thread-safe).")
      .def_property_readonly("latency", &RaveEngine::latency, "host samples (model + resamplers)")
      .def_property_readonly("latency_seconds", &RaveEngine::latencySeconds)
      .def_property_readonly("model_latency", &RaveEngine::modelLatency, "model samples")
      .def_property_readonly("resampling_delay_seconds", &RaveEngine::resamplingDelaySeconds)
      .def_property_readonly("sample_rate", &RaveEngine::hostRate)
      .def_property_readonly("model_rate", &RaveEngine::modelRate)
      .def_property_readonly("model_sample_rate", &RaveEngine::modelRate)
      .def_property_readonly("ratio", &RaveEngine::ratio)
      .def_property_readonly("latent_size", &RaveEngine::latentSize)
      .def_property_readonly("latent_count", &RaveEngine::latentCount)
      .def_property_readonly("max_block", &RaveEngine::maxBlock)
      .def_property_readonly("prepared", &RaveEngine::prepared)
      .def_property_readonly("kind", [](const RaveEngine&) { return "rave"; })
      .def("stats",
           [](const RaveEngine& e) {
             const auto s = e.stats();
             py::dict d;
             d["midi_events"] = s.midi_events;
             d["cc_applied"] = s.cc_applied;
             d["events_dropped"] = s.events_dropped;
             d["resets"] = s.resets;
             d["active_voices"] = 0;
             return d;
           })
      .def("time_blocks",
           [](RaveEngine& e, int n_blocks, int block) {
             // Per process() call on a test tone: wall and thread CPU time in ns.
             RaveEngine& r = prepared(e);
             if (block < 1 || n_blocks < 0) throw py::value_error("bad sizes");
             std::vector<float> in(block), buf(block);
             py::array_t<int64_t> wall(n_blocks), cpu(n_blocks);
             int64_t* wp = wall.mutable_data();
             int64_t* cp = cpu.mutable_data();
             {
             py::gil_scoped_release nogil;
             timespec c0{}, c1{};
             double ph = 0;
             for (int i = 0; i < n_blocks; ++i) {
               for (int k = 0; k < block; ++k, ph += 2 * M_PI * 220.0 / r.hostRate()) in[k] = 0.3f * std::sin(ph);
               clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
               const auto a = std::chrono::steady_clock::now();
               r.process(in.data(), buf.data(), block);
               const auto b = std::chrono::steady_clock::now();
               clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
               wp[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
               cp[i] = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
             }
             }  // GIL back before building the result
             return py::make_tuple(wall, cpu);
           },
           py::arg("n_blocks"), py::arg("block"), "(wall_ns[n], thread_cpu_ns[n]) per process() call.");
}
