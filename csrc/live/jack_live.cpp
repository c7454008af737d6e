// rt-synth-jack: the core's Engine as a native JACK client (docs/live-jack.md).
//
// The audio callback is C++ only: JACK MIDI in -> Engine::pushMidi (sample-accurate offsets)
// -> Engine::process -> every output port; no Python, no GIL, no allocation, no lock. Python
// (`rt-synth live`, rt_synth/synth/live_jack.py) only starts it, stops it (SIGINT/SIGTERM or
// --duration) and reads the JSON report it writes at the end, with the same keys as the
// sounddevice path's report.
//
//   rt-synth-jack MODEL [--voices N] [--block N] [--input PORT] [--midi-port PORT]
//                 [--output PORT] [--client-name NAME] [--duration S] [--report FILE]
//                 [--record FILE.wav] [--quiet]
//   rt-synth-jack --count-xruns [--client-name NAME] [--duration S] [--report FILE]
//
// --count-xruns runs no engine: an empty process callback and the xrun counter, the probe that
// counts what the server itself drops while a trivial client (jack_metro) plays
// (rt_synth.synth.jack_session --compare-metro).
//
// xruns: the server's xrun notifications (jack_set_xrun_callback), the same events PortAudio
// turns into the sounddevice path's status flags. The report also lists when each came
// ("xrun_times", CLOCK_MONOTONIC seconds: Python's time.monotonic()), so that a harness can
// count the xruns of a chosen window (jack_session --compare-metro).
#include <jack/jack.h>
#include <jack/midiport.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "synth/engine.h"

namespace {

using rt_synth::synth::Engine;
using rt_synth::synth::EngineOptions;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Args {
  std::string model, input, midi_port, output, client = "rt-synth", report, record;
  int voices = 8, block = 128;
  double duration = -1.0;
  bool quiet = false, count_only = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "rt-synth-jack: %s\nusage: rt-synth-jack MODEL [--voices N] [--block N] [--input PORT] "
               "[--midi-port PORT] [--output PORT] [--client-name NAME] [--duration S] [--report FILE] "
               "[--record FILE.wav] [--quiet]\n       rt-synth-jack --count-xruns [--client-name NAME] "
               "[--duration S] [--report FILE]\n", why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + k).c_str());
      return argv[++i];
    };
    if (k == "--voices") a.voices = std::atoi(val().c_str());
    else if (k == "--block") a.block = std::atoi(val().c_str());
    else if (k == "--input") a.input = val();
    else if (k == "--midi-port") a.midi_port = val();
    else if (k == "--output") a.output = val();
    else if (k == "--client-name") a.client = val();
    else if (k == "--duration") a.duration = std::atof(val().c_str());
    else if (k == "--report") a.report = val();
    else if (k == "--record") a.record = val();
    else if (k == "--quiet") a.quiet = true;
    else if (k == "--count-xruns") a.count_only = true;
    else if (!k.empty() && k[0] == '-') usage(("unknown option " + k).c_str());
    else if (a.model.empty()) a.model = k;
    else usage(("unexpected argument " + k).c_str());
  }
  if (!a.count_only && a.model.empty()) usage("no model file given");
  if (a.voices < 1 || a.voices > 32) usage("--voices must be in 1..32");
  if (a.block < 1 || a.block > 8192) usage("--block must be in 1..8192");
  return a;
}

// Everything the callback touches, allocated before activation.
struct Live {
  Engine* eng = nullptr;
  jack_client_t* client = nullptr;
  jack_port_t* midi_in = nullptr;
  jack_port_t* audio_in = nullptr;
  jack_port_t* out[2] = {nullptr, nullptr};
  std::vector<float> mono;           // engine output, max block
  std::vector<float> rec;            // --record: preallocated
  std::atomic<size_t> rec_pos{0};
  double period_s = 128.0 / 48000.0;
  double sample_rate = 48000.0;
  // Statistics: written by the audio thread only; read (approximately) by the main thread.
  std::atomic<int64_t> blocks{0}, frames{0}, midi_messages{0}, midi_dropped{0};
  std::atomic<int64_t> xruns{0}, callback_errors{0};
  std::atomic<int64_t> over_half{0}, over_period{0};  // callbacks that took > 50 % / > 100 % of their period
  std::atomic<double> load_max{0.0}, load_sum{0.0}, sq{0.0};
  std::atomic<float> peak{0.f};
  // When each xrun was notified (the notification thread writes, main reads after deactivate).
  static constexpr int kMaxXrunTimes = 4096;
  double xrun_times[kMaxXrunTimes] = {};
  std::atomic<int> n_xrun_times{0};
};

int process_cb(jack_nframes_t nframes, void* arg) {
  Live& L = *static_cast<Live*>(arg);
  const double t0 = now_s();
  const int n = static_cast<int>(nframes);
  if (L.eng == nullptr) {  // --count-xruns: the trivial client
    L.blocks.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  if (L.midi_in) {
    void* mb = jack_port_get_buffer(L.midi_in, nframes);
    const uint32_t count = jack_midi_get_event_count(mb);
    for (uint32_t i = 0; i < count; ++i) {
      jack_midi_event_t ev;
      if (jack_midi_event_get(&ev, mb, i) != 0 || ev.size == 0 || ev.size > 3) continue;  // no sysex
      if (!L.eng->pushMidi(ev.buffer, static_cast<int>(ev.size), static_cast<int>(ev.time)))
        L.midi_dropped.fetch_add(1, std::memory_order_relaxed);
      L.midi_messages.fetch_add(1, std::memory_order_relaxed);
    }
  }
  const float* in = L.audio_in ? static_cast<const float*>(jack_port_get_buffer(L.audio_in, nframes)) : nullptr;
  float* y = L.mono.data();
  double sq = 0.0;
  float pk = 0.f;
  int done = 0;
  while (done < n) {  // the engine splits any n itself; mono holds at most max block
    const int k = std::min(n - done, static_cast<int>(L.mono.size()));
    L.eng->process(in ? in + done : nullptr, y, k);
    for (int c = 0; c < 2; ++c)
      if (L.out[c]) std::memcpy(static_cast<float*>(jack_port_get_buffer(L.out[c], nframes)) + done, y,
                                sizeof(float) * static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) {
      const float v = y[i];
      if (!std::isfinite(v)) L.callback_errors.fetch_add(1, std::memory_order_relaxed);
      sq += static_cast<double>(v) * v;
      pk = std::max(pk, std::fabs(v));
    }
    if (!L.rec.empty()) {
      const size_t p = L.rec_pos.load(std::memory_order_relaxed);
      const size_t m = std::min(static_cast<size_t>(k), L.rec.size() - p);
      std::memcpy(L.rec.data() + p, y, m * sizeof(float));
      L.rec_pos.store(p + m, std::memory_order_relaxed);
    }
    done += k;
  }
  L.sq.store(L.sq.load(std::memory_order_relaxed) + sq, std::memory_order_relaxed);
  if (pk > L.peak.load(std::memory_order_relaxed)) L.peak.store(pk, std::memory_order_relaxed);
  L.frames.fetch_add(n, std::memory_order_relaxed);
  L.blocks.fetch_add(1, std::memory_order_relaxed);
  const double load = (now_s() - t0) / (n > 0 ? n / L.sample_rate : L.period_s);
  if (load > L.load_max.load(std::memory_order_relaxed)) L.load_max.store(load, std::memory_order_relaxed);
  if (load > 0.5) L.over_half.fetch_add(1, std::memory_order_relaxed);
  if (load > 1.0) L.over_period.fetch_add(1, std::memory_order_relaxed);
  L.load_sum.store(L.load_sum.load(std::memory_order_relaxed) + load, std::memory_order_relaxed);
  return 0;
}

int xrun_cb(void* arg) {
  Live& L = *static_cast<Live*>(arg);
  L.xruns.fetch_add(1, std::memory_order_relaxed);
  const int i = L.n_xrun_times.load(std::memory_order_relaxed);
  if (i < Live::kMaxXrunTimes) {
    L.xrun_times[i] = now_s();
    L.n_xrun_times.store(i + 1, std::memory_order_release);
  }
  return 0;
}

void on_shutdown(void*) { g_stop.store(true); }

// First port of `type`/`flags` whose full name contains `spec` (case-sensitive), or "".
std::vector<std::string> find_ports(jack_client_t* c, const std::string& spec, const char* type,
                                    unsigned long flags) {
  std::vector<std::string> r;
  const char** ports = jack_get_ports(c, nullptr, type, flags);
  if (!ports) return r;
  for (int i = 0; ports[i]; ++i)
    if (spec.empty() || std::strstr(ports[i], spec.c_str())) r.emplace_back(ports[i]);
  jack_free(ports);
  return r;
}

bool write_wav(const std::string& path, const float* x, size_t n, int sr) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  auto u32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto u16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  const uint32_t data = static_cast<uint32_t>(n * 4);
  std::fwrite("RIFF", 1, 4, f); u32(36 + data); std::fwrite("WAVEfmt ", 1, 8, f);
  u32(16); u16(3); u16(1); u32(static_cast<uint32_t>(sr)); u32(static_cast<uint32_t>(sr) * 4); u16(4); u16(32);
  std::fwrite("data", 1, 4, f); u32(data);
  std::fwrite(x, 4, n, f);
  return std::fclose(f) == 0;
}

std::string json_escape(const std::string& s) {
  std::string r;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') r += '\\';
    r += ch;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  auto L = std::make_unique<Live>();
  std::unique_ptr<Engine> eng;
  const bool transfer = !a.input.empty();

  if (!a.count_only) {
    EngineOptions opt;
    opt.max_voices = a.voices;
    opt.lookahead_frames = -1;
    if (auto e = Engine::load(a.model, opt, eng)) {
      std::fprintf(stderr, "rt-synth-jack: %s: %s\n", a.model.c_str(), rt_synth::error_message(e).c_str());
      return 1;
    }
  }

  jack_status_t status;
  jack_client_t* client = jack_client_open(a.client.c_str(), JackNoStartServer, &status);
  if (!client) {
    std::fprintf(stderr, "rt-synth-jack: no JACK server to connect to (status 0x%x); start jackd first\n",
                 static_cast<unsigned>(status));
    return 3;
  }
  L->client = client;
  L->sample_rate = jack_get_sample_rate(client);
  const int jack_block = static_cast<int>(jack_get_buffer_size(client));
  L->period_s = jack_block / L->sample_rate;
  int latency = 0, lookahead = 0;
  std::string mode = "xrun-counter";
  if (eng) {
    // max block = --block as in the sounddevice path (lookahead on below the hop); longer
    // JACK periods are split by the engine.
    if (auto e = eng->prepare(L->sample_rate, a.block)) {
      std::fprintf(stderr, "rt-synth-jack: %s: prepare at %.0f Hz: %s\n", a.model.c_str(), L->sample_rate,
                   rt_synth::error_message(e).c_str());
      jack_client_close(client);
      return 1;
    }
    if (transfer) {
      if (auto e = eng->setMode(Engine::Mode::kTransfer)) {
        std::fprintf(stderr, "rt-synth-jack: %s: %s\n", a.model.c_str(), rt_synth::error_message(e).c_str());
        jack_client_close(client);
        return 1;
      }
    }
    mode = transfer ? "transfer" : "synth";
    latency = eng->latency();
    lookahead = eng->synth().lookaheadFrames();
    L->mono.assign(static_cast<size_t>(std::max(a.block, jack_block)), 0.f);
    if (!a.record.empty())
      L->rec.assign(static_cast<size_t>(L->sample_rate * (a.duration > 0 ? a.duration + 2 : 600)), 0.f);
    L->midi_in = jack_port_register(client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (transfer) L->audio_in = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    L->out[0] = jack_port_register(client, "out_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    L->out[1] = jack_port_register(client, "out_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!L->midi_in || !L->out[0] || !L->out[1] || (transfer && !L->audio_in)) {
      std::fprintf(stderr, "rt-synth-jack: could not register the JACK ports\n");
      jack_client_close(client);
      return 1;
    }
    L->eng = eng.get();
  }
  jack_set_process_callback(client, process_cb, L.get());
  jack_set_xrun_callback(client, xrun_cb, L.get());
  jack_on_shutdown(client, on_shutdown, nullptr);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (jack_activate(client) != 0) {
    std::fprintf(stderr, "rt-synth-jack: jack_activate failed\n");
    jack_client_close(client);
    return 1;
  }
  const std::string cname = jack_get_client_name(client);
  if (eng) {
    // Outputs: to --output's matching playback ports, else the physical ones (as PortAudio does).
    auto outs = find_ports(client, a.output, JACK_DEFAULT_AUDIO_TYPE,
                           JackPortIsInput | (a.output.empty() ? JackPortIsPhysical : 0));
    for (size_t c = 0; c < std::min<size_t>(2, outs.size()); ++c)
      jack_connect(client, jack_port_name(L->out[c]), outs[c].c_str());
    if (transfer && a.input != "-") {
      auto ins = find_ports(client, a.input, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput | JackPortIsPhysical);
      if (!ins.empty()) jack_connect(client, ins[0].c_str(), jack_port_name(L->audio_in));
    }
    if (!a.midi_port.empty()) {
      auto srcs = find_ports(client, a.midi_port, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
      if (srcs.empty()) {
        std::fprintf(stderr, "rt-synth-jack: no JACK MIDI output port matching '%s'; see `jack_lsp -t`\n",
                     a.midi_port.c_str());
        jack_client_close(client);
        return 1;
      }
      jack_connect(client, srcs[0].c_str(), jack_port_name(L->midi_in));
    }
    if (!a.quiet)
      std::printf("live (native JACK client): %s mode, %d voices, block %d @ %.0f Hz (JACK period %d), engine "
                  "latency %d samples; MIDI in: %s:midi_in. Ctrl-C stops.\n",
                  mode.c_str(), a.voices, a.block, L->sample_rate, jack_block, latency, cname.c_str());
    std::fflush(stdout);
  }

  const double t_start = now_s();
  double last = t_start;
  int max_voices = 0;
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double t = now_s();
    if (eng) max_voices = std::max(max_voices, eng->synth().stats().active_voices);
    if (a.duration > 0 && t - t_start >= a.duration) break;
    if (!a.quiet && eng && t - last >= 1.0) {
      last = t;
      const int64_t b = std::max<int64_t>(1, L->blocks.load());
      std::printf("  t=%5.1fs xruns=%lld load mean %4.1f%% max %5.1f%% voices=%d midi=%lld\n", t - t_start,
                  static_cast<long long>(L->xruns.load()), 100.0 * L->load_sum.load() / b,
                  100.0 * L->load_max.load(), eng->synth().stats().active_voices,
                  static_cast<long long>(L->midi_messages.load()));
      std::fflush(stdout);
    }
  }
  const double seconds = now_s() - t_start;
  jack_deactivate(client);
  jack_client_close(client);

  const int64_t blocks = L->blocks.load(), frames = L->frames.load();
  char buf[4096];
  std::string json = "{\n";
  auto add = [&](const char* fmt, auto... v) {
    std::snprintf(buf, sizeof buf, fmt, v...);
    json += buf;
  };
  add("  \"backend\": \"jack-native\",\n  \"seconds\": %.3f,\n  \"sample_rate\": %d,\n  \"block\": %d,\n", seconds,
      static_cast<int>(L->sample_rate), a.block);
  add("  \"jack_period\": %d,\n  \"voices\": %d,\n  \"mode\": \"%s\",\n", jack_block, a.voices, mode.c_str());
  add("  \"engine_latency_samples\": %d,\n  \"lookahead_frames\": %d,\n", latency, lookahead);
  add("  \"blocks\": %lld,\n  \"xruns\": %lld,\n  \"callback_errors\": %lld,\n", static_cast<long long>(blocks),
      static_cast<long long>(L->xruns.load()), static_cast<long long>(L->callback_errors.load()));
  add("  \"callback_load_max\": %.6f,\n  \"callback_load_mean\": %.6f,\n", L->load_max.load(),
      L->load_sum.load() / std::max<int64_t>(1, blocks));
  add("  \"callbacks_over_half_period\": %lld,\n  \"callbacks_over_period\": %lld,\n",
      static_cast<long long>(L->over_half.load()), static_cast<long long>(L->over_period.load()));
  add("  \"rms\": %.8f,\n  \"peak\": %.8f,\n", frames ? std::sqrt(L->sq.load() / frames) : 0.0,
      static_cast<double>(L->peak.load()));
  add("  \"midi_messages\": %lld,\n  \"max_active_voices\": %d,\n", static_cast<long long>(L->midi_messages.load()),
      max_voices);
  add("  \"events_dropped\": %lld,\n", static_cast<long long>(
      L->midi_dropped.load() + (eng ? eng->synth().stats().events_dropped : 0)));
  add("  \"midi_port\": \"%s:midi_in\",\n", json_escape(cname).c_str());
  add("  \"started_monotonic\": %.6f,\n", t_start);
  json += "  \"xrun_times\": [";
  for (int i = 0, n = L->n_xrun_times.load(std::memory_order_acquire); i < n; ++i)
    add(i ? ", %.6f" : "%.6f", L->xrun_times[i]);
  json += "],\n";
  if (!a.record.empty()) {
    if (!write_wav(a.record, L->rec.data(), L->rec_pos.load(), static_cast<int>(L->sample_rate))) {
      std::fprintf(stderr, "rt-synth-jack: cannot write %s\n", a.record.c_str());
      return 1;
    }
    add("  \"record\": \"%s\",\n", json_escape(a.record).c_str());
  }
  json += "  \"jack\": true\n}\n";
  if (!a.report.empty()) {
    FILE* f = std::fopen(a.report.c_str(), "w");
    if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "rt-synth-jack: cannot write the report %s\n", a.report.c_str());
      return 1;
    }
  }
  if (!a.quiet) {
    if (eng)
      std::printf("live: stopped after %.1f s: %lld blocks, xruns %lld, callback load mean %.1f%% max %.1f%%\n",
                  seconds, static_cast<long long>(blocks), static_cast<long long>(L->xruns.load()),
                  100.0 * L->load_sum.load() / std::max<int64_t>(1, blocks), 100.0 * L->load_max.load());
    else
      std::printf("%s", json.c_str());
  }
  return 0;
}
