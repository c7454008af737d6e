#include "kinds/rave/rave_synth_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kinds/rave/rave_synth.h"

namespace py = pybind11;
using rt_synth::Error;
using rt_synth::rave::LatentCCTarget;
using rt_synth::rave::RaveSynth;

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

void checkIndex(const RaveSynth& s, int i) {
  if (i < 0 || i >= s.latentSize())
    throw py::index_error("latent index " + std::to_string(i) + " outside 0.." + std::to_string(s.latentSize() - 1));
}

RaveSynth& prepared(RaveSynth& s) {
  if (!s.prepared()) throw py::value_error("RaveSynth: call prepare() before processing");
  return s;
}

}  // namespace

void register_rave_synth_bindings(py::module_& m) {
  py::class_<RaveSynth>(m, "RaveSynth",
                        "A pitched RAVE-style model played from MIDI: monophonic, last-note priority, legato; "
                        "notes drive the pitch source, velocity/CC7/CC11 a gain envelope, CCs the latent "
                        "controls (docs/rave-engine.md 'Playing from MIDI').")
      .def(py::init([m](const std::string& path) {
             std::unique_ptr<RaveSynth> s;
             Error err;
             {
               py::gil_scoped_release nogil;
               err = RaveSynth::load(path, s);
             }
             if (err) {
               const std::string msg = rt_synth::error_message(err);
               if (err.code != rt_synth::ErrorCode::kUnsupported && py::hasattr(m, "ModelFileError")) {
                 PyErr_SetString(m.attr("ModelFileError").ptr(), msg.c_str());
                 throw py::error_already_set();
               }
               throw py::value_error(msg);
             }
             return s;
           }),
           py::arg("path"))
      .def("prepare",
           [](RaveSynth& s, double sr, int max_block) {
             if (Error err = s.prepare(sr, max_block)) throw py::value_error(err.message);
           },
           py::arg("sample_rate") = 48000.0, py::arg("max_block") = 4096)
      .def("process",
           [](RaveSynth& s, int n) {
             RaveSynth& r = prepared(s);
             if (n < 0) throw py::value_error("n must be >= 0");
             F32 out(n);
             float* o = out.mutable_data();
             py::gil_scoped_release nogil;
             r.process(nullptr, o, n);
             return out;
           },
           py::arg("n"), "n samples of output (host rate).")
      .def("process_into",
           [](RaveSynth& s, py::array_t<float, py::array::c_style> out) {
             RaveSynth& r = prepared(s);
             if (out.ndim() != 1) throw py::value_error("out must be 1-D float32 contiguous");
             float* o = out.mutable_data();
             const int n = static_cast<int>(out.shape(0));
             py::gil_scoped_release nogil;
             r.process(nullptr, o, n);
           },
           py::arg("out"))
      .def("live_block",
           [](RaveSynth& s, py::array_t<float, py::array::c_style> out, py::object /*input*/,
              py::array_t<float, py::array::c_style> scratch) {
             // As Engine.live_block: the synth → every output channel; (sum of squares, peak).
             RaveSynth& r = prepared(s);
             if (out.ndim() != 2 || scratch.ndim() != 1 || scratch.shape(0) < out.shape(0))
               throw py::value_error("out: (frames, channels) float32; scratch: float32 >= frames");
             const int n = static_cast<int>(out.shape(0)), ch = static_cast<int>(out.shape(1));
             float* o = out.mutable_data();
             float* y = scratch.mutable_data();
             double sq = 0.0;
             float peak = 0.f;
             if (n) r.process(nullptr, y, n);
             for (int i = 0; i < n; ++i) {
               const float v = y[i];
               sq += static_cast<double>(v) * v;
               peak = std::max(peak, std::fabs(v));
               for (int c = 0; c < ch; ++c) o[static_cast<size_t>(i) * ch + c] = v;
             }
             return py::make_tuple(sq, peak);
           },
           py::arg("out"), py::arg("input"), py::arg("scratch"))
      .def("render",
           [](RaveSynth& s, std::vector<std::pair<int64_t, py::object>> events, int64_t n_samples, int block) {
             // events [(sample, bytes)] (stably sorted by time here); blocks of `block` samples, cut
             // at event times as a host with sample-accurate MIDI would (applied at a call's start).
             RaveSynth& r = prepared(s);
             if (block < 1) throw py::value_error("block must be >= 1");
             if (n_samples < 0) throw py::value_error("n_samples must be >= 0");
             std::stable_sort(events.begin(), events.end(),
                              [](const auto& a, const auto& b) { return a.first < b.first; });
             std::vector<std::vector<uint8_t>> bytes;
             bytes.reserve(events.size());
             for (const auto& ev : events) bytes.push_back(bytesFrom(ev.second));
             F32 out(n_samples);
             float* o = out.mutable_data();
             py::gil_scoped_release nogil;
             size_t k = 0;
             int64_t pos = 0;
             while (pos < n_samples) {
               while (k < events.size() && events[k].first <= pos) {
                 r.pushMidi(bytes[k].data(), static_cast<int>(bytes[k].size()));
                 ++k;
               }
               int64_t end = std::min<int64_t>(n_samples, pos + std::min(block, r.maxBlock()));
               if (k < events.size()) end = std::min(end, events[k].first);
               r.process(nullptr, o + pos, static_cast<int>(end - pos));
               pos = end;
             }
             return out;
           },
           py::arg("events"), py::arg("n_samples"), py::arg("block") = 256,
           "Offline render of timed MIDI [(sample, bytes)]; the result does not depend on block.")
      .def("push_midi",
           [](RaveSynth& s, const py::object& data, int /*offset*/) {
             const auto b = bytesFrom(data);
             return s.pushMidi(b.data(), static_cast<int>(b.size()));
           },
           py::arg("data"), py::arg("offset") = 0,
           "Queues raw MIDI bytes (thread-safe, lock-free); applied at the start of the next block.")
      .def("map_cc",
           [](RaveSynth& s, int cc, const std::string& target, int index) {
             LatentCCTarget t;
             if (target == "offset") t = rt_synth::rave::kCCOffset;
             else if (target == "scale") t = rt_synth::rave::kCCScale;
             else if (target == "global_scale") t = rt_synth::rave::kCCGlobalScale;
             else if (target == "none") t = rt_synth::rave::kCCNone;
             else throw py::value_error("CC target must be 'offset', 'scale', 'global_scale' or 'none'");
             if (t == rt_synth::rave::kCCOffset || t == rt_synth::rave::kCCScale) checkIndex(s, index);
             if (cc < 0 || cc > 127) throw py::value_error("cc must be in 0..127");
             return s.mapCC(cc, t, index);
           },
           py::arg("cc"), py::arg("target"), py::arg("index") = 0)
      .def("set_latent_offset", [](RaveSynth& s, int i, float v) { checkIndex(s, i); s.setLatentOffset(i, v); },
           py::arg("index"), py::arg("value"))
      .def("set_latent_scale", [](RaveSynth& s, int i, float v) { checkIndex(s, i); s.setLatentScale(i, v); },
           py::arg("index"), py::arg("value"))
      .def("set_global_scale", &RaveSynth::setGlobalScale, py::arg("value"))
      .def("set_preset", [](RaveSynth& s, int i, float v) { checkIndex(s, i); s.setPreset(i, v); },
           py::arg("index"), py::arg("value"), "The latent point a note plays (model space; default 0 = training mean).")
      .def("latent_offset", [](RaveSynth& s, int i) { checkIndex(s, i); return s.latentOffset(i); }, py::arg("index"))
      .def("latent_scale", [](RaveSynth& s, int i) { checkIndex(s, i); return s.latentScale(i); }, py::arg("index"))
      .def("preset", [](RaveSynth& s, int i) { checkIndex(s, i); return s.preset(i); }, py::arg("index"))
      .def_property_readonly("global_scale", &RaveSynth::globalScale)
      .def_property("attack", &RaveSynth::attack, &RaveSynth::setAttack, "seconds (0.5 ms..2 s)")
      .def_property("release", &RaveSynth::release, &RaveSynth::setRelease, "seconds (5 ms..10 s)")
      .def_property("glide", &RaveSynth::glide, &RaveSynth::setGlide, "legato glide, seconds (0..2)")
      .def_property("gain_db", &RaveSynth::gainDb, &RaveSynth::setGainDb, "output gain, dB (-60..+24)")
      .def_property("bend_range", &RaveSynth::bendRange, &RaveSynth::setBendRange, "semitones (0..24)")
      .def("set_output_ceiling_db", &RaveSynth::setOutputCeilingDb, py::arg("db"))
      .def_property_readonly("output_ceiling_db", &RaveSynth::outputCeilingDb)
      .def_property_readonly("current_note", &RaveSynth::currentNote)
      .def_property_readonly("last_f0", &RaveSynth::lastF0)
      .def("reset", &RaveSynth::reset, "Silence now (only while process() is not running).")
      .def("request_reset", &RaveSynth::requestReset)
      .def_property_readonly("latency", &RaveSynth::latency, "host samples from a note event to its sound")
      .def_property_readonly("latency_seconds", &RaveSynth::latencySeconds)
      .def_property_readonly("model_latency", &RaveSynth::modelLatency, "model samples (the envelope delay E)")
      .def_property_readonly("sample_rate", &RaveSynth::hostRate)
      .def_property_readonly("model_rate", &RaveSynth::modelRate)
      .def_property_readonly("ratio", &RaveSynth::ratio)
      .def_property_readonly("latent_size", &RaveSynth::latentSize)
      .def_property_readonly("latent_count", &RaveSynth::latentCount)
      .def_property_readonly("max_block", &RaveSynth::maxBlock)
      .def_property_readonly("prepared", &RaveSynth::prepared)
      .def_property_readonly("kind", [](const RaveSynth&) { return "rave"; })
      .def("stats",
           [](const RaveSynth& s) {
             const auto st = s.stats();
             py::dict d;
             d["midi_events"] = st.midi_events;
             d["notes_on"] = st.notes_on;
             d["cc_applied"] = st.cc_applied;
             d["events_dropped"] = st.events_dropped;
             d["resets"] = st.resets;
             d["active_voices"] = s.currentNote() >= 0 ? 1 : 0;
             return d;
           });
}
