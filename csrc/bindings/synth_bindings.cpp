#include "bindings/synth_bindings.h"

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

#include "synth/engine.h"
#include "synth/synth_engine.h"

namespace py = pybind11;
using namespace rt_synth;
using namespace rt_synth::synth;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;

Param paramFrom(const py::object& p) {
  if (py::isinstance<py::str>(p)) {
    const std::string name = p.cast<std::string>();
    for (int i = 0; i < static_cast<int>(Param::kCount); ++i)
      if (name == paramInfo(static_cast<Param>(i)).name) return static_cast<Param>(i);
    throw py::key_error("unknown synth parameter '" + name + "' (see rt_synth._core.synth_params())");
  }
  const int id = p.cast<int>();
  if (id < 0 || id >= static_cast<int>(Param::kCount)) throw py::key_error("parameter id out of range");
  return static_cast<Param>(id);
}

std::vector<uint8_t> bytesFrom(const py::object& b) {
  if (py::isinstance<py::bytes>(b)) {
    const std::string s = b.cast<std::string>();
    return std::vector<uint8_t>(s.begin(), s.end());
  }
  std::vector<uint8_t> out;
  for (auto item : b) out.push_back(static_cast<uint8_t>(item.cast<int>() & 0xFF));
  return out;
}

void check(const Error& e) {
  if (e) throw std::runtime_error(e.message);
}

}  // namespace

void register_synth_bindings(py::module_& m) {
  m.def("synth_params",
        []() {
          py::dict d;
          for (int i = 0; i < static_cast<int>(Param::kCount); ++i) {
            const ParamInfo& p = paramInfo(static_cast<Param>(i));
            d[p.name] = py::make_tuple(i, p.min, p.max, p.def);
          }
          return d;
        },
        "{name: (id, min, max, default)} of the synth engine's parameters.");

  py::class_<SynthEngine>(m, "SynthEngine",
                          "Polyphonic MIDI synth on a DDSP model file (docs/synth-engine.md).")
      .def(py::init([](const std::string& path, int voices) {
             std::unique_ptr<SynthEngine> e;
             check(SynthEngine::load(path, voices, e));
             return e;
           }),
           py::arg("path"), py::arg("voices") = 8)
      .def("prepare",
           [](SynthEngine& e, double sr, int max_block, int lookahead) { check(e.prepare(sr, max_block, lookahead)); },
           py::arg("sample_rate") = 48000.0, py::arg("max_block") = 4096, py::arg("lookahead_frames") = 0,
           "lookahead_frames: 0 (default), 1 (one hop of added latency, network step spread over the "
           "frame's blocks), or -1 auto (1 when max_block < hop; what Engine and rt-synth live/bench use)")
      .def_property_readonly("lookahead_frames", &SynthEngine::lookaheadFrames)
      .def_property_readonly("network_groups", &SynthEngine::networkGroups)
      .def("process",
           [](SynthEngine& e, int n) {
             if (n < 0) throw py::value_error("n must be >= 0");
             F32 out(n);
             float* o = out.mutable_data();
             {
               py::gil_scoped_release nogil;
               if (n) e.process(nullptr, o, n);
             }
             return out;
           },
           py::arg("n"), "Renders the next n samples (float32).")
      .def("process_into",
           [](SynthEngine& e, py::array_t<float, py::array::c_style> out) {
             if (out.ndim() != 1) throw py::value_error("out must be 1-D float32 contiguous");
             float* o = out.mutable_data();
             const int n = static_cast<int>(out.shape(0));
             py::gil_scoped_release nogil;
             if (n) e.process(nullptr, o, n);
           },
           py::arg("out"), "Renders len(out) samples into out (no allocation).")
      .def("push_midi",
           [](SynthEngine& e, const py::object& data, int offset) {
             const auto b = bytesFrom(data);
             return e.pushMidi(b.data(), static_cast<int>(b.size()), offset);
           },
           py::arg("data"), py::arg("offset") = 0,
           "Queues raw MIDI bytes at a sample offset of the next block (thread-safe, lock-free).")
      .def("set_param",
           [](SynthEngine& e, const py::object& p, float v) { return e.setParam(paramFrom(p), v); },
           py::arg("param"), py::arg("value"))
      .def("param", [](const SynthEngine& e, const py::object& p) { return e.param(paramFrom(p)); },
           py::arg("param"))
      .def("map_cc",
           [](SynthEngine& e, int cc, const py::object& p, float lo, float hi) {
             const Param target = p.is_none() ? Param::kCount : paramFrom(p);
             return e.mapCC(cc, target, lo, hi);
           },
           py::arg("cc"), py::arg("param"), py::arg("min") = 0.f, py::arg("max") = 1.f,
           "Maps CC cc (0..127 → [min, max]) to a parameter; param=None unmaps.")
      .def("reset", &SynthEngine::reset, "Silence now (call only while process() is not running).")
      .def("request_reset", &SynthEngine::requestReset, "Queues a reset (thread-safe).")
      .def("all_notes_off", &SynthEngine::requestAllNotesOff)
      .def("velocity_to_loudness_db", &SynthEngine::velocityToLoudnessDb)
      .def_property_readonly("latency", &SynthEngine::latency)
      .def_property_readonly("sample_rate", &SynthEngine::sampleRate)
      .def_property_readonly("hop", &SynthEngine::hop)
      .def_property_readonly("max_voices", &SynthEngine::maxVoices)
      .def("stats",
           [](const SynthEngine& e) {
             const EngineStats s = e.stats();
             py::dict d;
             d["active_voices"] = s.active_voices;
             d["events_dropped"] = s.events_dropped;
             d["midi_events"] = s.midi_events;
             d["notes_stolen"] = s.notes_stolen;
             d["last_peak"] = s.last_peak;
             d["limiter_gain"] = s.limiter_gain;
             return d;
           })
      .def("render",
           [](SynthEngine& e, const std::vector<std::pair<int64_t, py::object>>& events, int64_t n_samples,
              int block) {
             // events: [(sample_time, midi_bytes)] sorted by time. Pushed block by block with
             // their offsets, exactly like a host would.
             if (block < 1) throw py::value_error("block must be >= 1");
             if (n_samples < 0) throw py::value_error("n_samples must be >= 0");
             std::vector<std::vector<uint8_t>> bytes;
             bytes.reserve(events.size());
             for (const auto& ev : events) bytes.push_back(bytesFrom(ev.second));
             F32 out(n_samples);
             float* o = out.mutable_data();
             py::gil_scoped_release nogil;
             size_t k = 0;
             for (int64_t start = 0; start < n_samples; start += block) {
               const int n = static_cast<int>(std::min<int64_t>(block, n_samples - start));
               while (k < events.size() && events[k].first < start + n) {
                 const int off = static_cast<int>(std::max<int64_t>(0, events[k].first - start));
                 e.pushMidi(bytes[k].data(), static_cast<int>(bytes[k].size()), off);
                 ++k;
               }
               e.process(nullptr, o + start, n);
             }
             return out;
           },
           py::arg("events"), py::arg("n_samples"), py::arg("block") = 256,
           "Offline render of timed MIDI [(sample, bytes)] with the given block size.")
      .def("time_blocks",
           [](SynthEngine& e, int n_blocks, int block, bool realtime) {
             // Per process() call: wall time (steady_clock) and the thread's CPU time, in ns.
             // realtime: run the loop under SCHED_FIFO (as an audio thread would) when the
             // process may; the previous policy is restored afterwards.
             if (block < 1 || n_blocks < 0) throw py::value_error("bad sizes");
             std::vector<float> buf(block);
             py::array_t<int64_t> wall(n_blocks), cpu(n_blocks);
             int64_t* wp = wall.mutable_data();
             int64_t* cp = cpu.mutable_data();
             bool rt_ok = false;
             {
               py::gil_scoped_release nogil;
               int old_policy = 0;
               sched_param old_param{};
               pthread_getschedparam(pthread_self(), &old_policy, &old_param);
               if (realtime) {
                 sched_param p{};
                 p.sched_priority = 80;
                 rt_ok = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
               }
               timespec c0{}, c1{};
               for (int i = 0; i < n_blocks; ++i) {
                 clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
                 const auto a = std::chrono::steady_clock::now();
                 e.process(nullptr, buf.data(), block);
                 const auto b = std::chrono::steady_clock::now();
                 clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
                 wp[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
                 cp[i] = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
               }
               if (rt_ok) pthread_setschedparam(pthread_self(), old_policy, &old_param);
             }
             return py::make_tuple(wall, cpu, rt_ok);
           },
           py::arg("n_blocks"), py::arg("block"), py::arg("realtime") = false,
           "(wall_ns[n], thread_cpu_ns[n], realtime_granted) per process() call.");


  py::class_<Engine>(m, "Engine",
                     "What a host embeds: MIDI synth or timbre transfer over one model, any host rate "
                     "(docs/synth-engine.md, Engine).")
      .def(py::init([](const std::string& path, int voices, int lookahead) {
             EngineOptions o;
             o.max_voices = voices;
             o.lookahead_frames = lookahead;
             std::unique_ptr<Engine> e;
             check(Engine::load(path, o, e));
             return e;
           }),
           py::arg("path"), py::arg("voices") = 8, py::arg("lookahead_frames") = -1)
      .def("prepare", [](Engine& e, double sr, int max_block) { check(e.prepare(sr, max_block)); },
           py::arg("sample_rate") = 48000.0, py::arg("max_block") = 4096)
      .def("set_mode",
           [](Engine& e, const std::string& m) {
             if (m != "synth" && m != "transfer") throw py::value_error("mode must be 'synth' or 'transfer'");
             check(e.setMode(m == "synth" ? Engine::Mode::kSynth : Engine::Mode::kTransfer));
           },
           py::arg("mode"), "Any thread; takes effect (5 ms cross-fade) at the next process() block.")
      .def_property_readonly("mode", [](const Engine& e) { return e.mode() == Engine::Mode::kSynth ? "synth" : "transfer"; })
      .def_property_readonly("transfer_available", &Engine::transferAvailable)
      .def("process",
           [](Engine& e, int n, py::object input) {
             if (n < 0) throw py::value_error("n must be >= 0");
             F32 out(n);
             float* o = out.mutable_data();
             if (input.is_none()) {
               py::gil_scoped_release nogil;
               if (n) e.process(nullptr, o, n);
             } else {
               F32 in = input.cast<F32>();
               if (in.ndim() != 1 || in.shape(0) != n) throw py::value_error("input must be 1-D with n samples");
               const float* ip = in.data();
               py::gil_scoped_release nogil;
               if (n) e.process(ip, o, n);
             }
             return out;
           },
           py::arg("n"), py::arg("input") = py::none(), "Next n samples; input: n samples (transfer mode).")
      .def("process_into",
           [](Engine& e, py::array_t<float, py::array::c_style> out, py::object input) {
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
             if (n) e.process(ip, o, n);
           },
           py::arg("out"), py::arg("input") = py::none(),
           "Renders len(out) samples into out (no allocation); input: float32 C-contiguous (transfer mode).")
      .def("live_block",
           [](Engine& e, py::array_t<float, py::array::c_style> out, py::object input,
              py::array_t<float, py::array::c_style> scratch) {
             // One call per audio callback: input channel 0 (frames × channels, any layout numpy
             // gives) → engine → scratch[frames] → every output channel (frames × channels,
             // C-contiguous). Returns (sum of squares, peak) of the block. No numpy temporaries.
             if (out.ndim() != 2 || scratch.ndim() != 1 || scratch.shape(0) < 2 * out.shape(0))
               throw py::value_error("out: (frames, channels) float32; scratch: float32 >= 2*frames");
             const int n = static_cast<int>(out.shape(0)), ch = static_cast<int>(out.shape(1));
             float* o = out.mutable_data();
             float* y = scratch.mutable_data();
             float* x = y + n;
             const float* ip = nullptr;
             py::buffer_info ib;
             if (!input.is_none()) {
               py::array_t<float> in = input.cast<py::array_t<float>>();
               ib = in.request();
               if (ib.ndim != 2 || ib.shape[0] < n) throw py::value_error("input: (frames, channels) float32");
               const char* base = static_cast<const char*>(ib.ptr);
               for (int i = 0; i < n; ++i) x[i] = *reinterpret_cast<const float*>(base + i * ib.strides[0]);
               ip = x;
             }
             double sq = 0.0;
             float peak = 0.f;
             {
               // The GIL is NOT released here: the audio callback already holds it, and
               // handing it over mid-callback lets a normal-priority thread take it and be
               // preempted while holding it (priority inversion on a loaded machine).
               if (n) e.process(ip, y, n);
               for (int i = 0; i < n; ++i) {
                 const float v = y[i];
                 sq += static_cast<double>(v) * v;
                 peak = std::max(peak, std::fabs(v));
                 for (int c = 0; c < ch; ++c) o[static_cast<size_t>(i) * ch + c] = v;
               }
             }
             return py::make_tuple(sq, peak);
           },
           py::arg("out"), py::arg("input"), py::arg("scratch"))
      .def("push_midi",
           [](Engine& e, const py::object& data, int offset) {
             const auto b = bytesFrom(data);
             return e.pushMidi(b.data(), static_cast<int>(b.size()), offset);
           },
           py::arg("data"), py::arg("offset") = 0, "Host-sample offset; synth mode only (False in transfer mode).")
      .def("set_param", [](Engine& e, const py::object& p, float v) { return e.setParam(paramFrom(p), v); },
           py::arg("param"), py::arg("value"))
      .def("param", [](Engine& e, const py::object& p) { return e.synth().param(paramFrom(p)); }, py::arg("param"))
      .def("set_transfer",
           [](Engine& e, py::object pitch_shift, py::object input_gain_db, py::object loudness_offset_db,
              py::object dry, py::object wet) {
             TimbreTransfer* t = e.transfer();
             if (!t) throw std::runtime_error("this model cannot run timbre transfer");
             if (!pitch_shift.is_none()) t->setPitchShift(pitch_shift.cast<float>());
             if (!input_gain_db.is_none()) t->setInputGainDb(input_gain_db.cast<float>());
             if (!loudness_offset_db.is_none()) t->setLoudnessOffsetDb(loudness_offset_db.cast<float>());
             if (!dry.is_none() || !wet.is_none())
               t->setDryWet(dry.is_none() ? 0.f : dry.cast<float>(), wet.is_none() ? 1.f : wet.cast<float>());
           },
           py::arg("pitch_shift") = py::none(), py::arg("input_gain_db") = py::none(),
           py::arg("loudness_offset_db") = py::none(), py::arg("dry") = py::none(), py::arg("wet") = py::none())
      .def("reset", &Engine::reset, "Silence now (call only while process() is not running).")
      .def_property_readonly("latency", &Engine::latency, "host samples, for the requested mode")
      .def("latency_for", [](const Engine& e, const std::string& m) {
             return e.latencyFor(m == "transfer" ? Engine::Mode::kTransfer : Engine::Mode::kSynth); })
      .def_property_readonly("latency_seconds", &Engine::latencySeconds)
      .def_property_readonly("sample_rate", &Engine::hostRate)
      .def_property_readonly("model_rate", &Engine::modelRate)
      .def_property_readonly("hop", [](Engine& e) { return e.synth().hop(); })
      .def_property_readonly("lookahead_frames", [](Engine& e) { return e.synth().lookaheadFrames(); })
      .def("stats",
           [](Engine& e) {
             const EngineStats s = e.synth().stats();
             py::dict d;
             d["active_voices"] = s.active_voices;
             d["events_dropped"] = s.events_dropped;
             d["midi_events"] = s.midi_events;
             d["notes_stolen"] = s.notes_stolen;
             d["last_peak"] = s.last_peak;
             d["limiter_gain"] = s.limiter_gain;
             d["mode"] = e.activeMode() == Engine::Mode::kSynth ? "synth" : "transfer";
             return d;
           });
}
