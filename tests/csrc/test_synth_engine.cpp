// Synth engine, real-time checks (docs/synth-engine.md):
//   - zero heap allocations inside process() and pushMidi()/setParam() with 8 voices held,
//     chords, bends, CCs, sustain pedal, steals and garbage bytes, over >= 1000 random-size
//     blocks (1..512)
//   - output always finite and within the limiter ceiling, also under random garbage MIDI,
//     NaN/Inf parameters and NaN/Inf input audio
//   - block-size independence: the same timed MIDI rendered with blocks 64 / 37 / 1000 / 1
//     gives bit-identical samples (events are quantised to absolute frame boundaries)
//   - MidiParser: running status, real-time bytes inside messages, SysEx skipping, note-on
//     velocity 0, stray data bytes
//   - Limiter: |y| <= ceiling and finite for huge / NaN / Inf input
//   - EventQueue: 3 producer threads against 1 consumer, nothing lost or duplicated
// Usage: test_synth_engine MODEL.rtsynth (a DDSP model file; ctest makes a random one).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "synth/event_queue.h"
#include "dsp/output_limiter.h"
#include "synth/midi_parser.h"
#include "synth/synth_engine.h"
#include "test_common.h"

using namespace rt_synth;
using namespace rt_synth::synth;

namespace {

struct Timed {
  int64_t t;
  std::vector<uint8_t> b;
};

std::vector<Timed> piece() {
  // 8-voice chords, a bend, sustain pedal, mod wheel, fast notes and steals.
  std::vector<Timed> ev;
  auto add = [&](int64_t t, std::vector<uint8_t> b) { ev.push_back({t, b}); };
  const int chord[8] = {48, 52, 55, 60, 64, 67, 72, 76};
  for (int i = 0; i < 8; ++i) add(100 + 13 * i, {0x90, static_cast<uint8_t>(chord[i]), 100});
  add(9000, {0xB0, 1, 100});       // mod wheel
  add(12000, {0xE0, 0x00, 0x60});  // bend up
  add(20000, {0xB0, 64, 127});     // pedal down
  for (int i = 0; i < 8; ++i) add(24000 + 7 * i, {0x80, static_cast<uint8_t>(chord[i]), 0});
  for (int i = 0; i < 24; ++i) add(30000 + 900 * i, {0x90, static_cast<uint8_t>(60 + i), 90});  // steals
  add(56000, {0xB0, 64, 0});  // pedal up
  for (int i = 0; i < 24; ++i) add(57000 + 300 * i, {0x80, static_cast<uint8_t>(60 + i), 0});
  add(70000, {0xE0, 0x00, 0x40});
  return ev;
}

std::vector<float> render(SynthEngine& e, const std::vector<Timed>& ev, int64_t n, int block) {
  e.reset();
  std::vector<float> out(n);
  size_t k = 0;
  for (int64_t s = 0; s < n; s += block) {
    const int m = static_cast<int>(std::min<int64_t>(block, n - s));
    while (k < ev.size() && ev[k].t < s + m) {
      e.pushMidi(ev[k].b.data(), static_cast<int>(ev[k].b.size()), static_cast<int>(ev[k].t - s));
      ++k;
    }
    e.process(nullptr, out.data() + s, m);
  }
  return out;
}

void testParser() {
  MidiParser p;
  MidiEvent ev{};
  std::vector<MidiEvent> got;
  auto feed = [&](std::vector<uint8_t> bytes) {
    got.clear();
    for (uint8_t b : bytes)
      if (p.feed(b, ev)) got.push_back(ev);
  };
  feed({0x91, 60, 100, 62, 0, 0xF8, 64, 0xFE, 90});  // running status + real-time inside
  CHECK(got.size() == 3, "running status: %zu events", got.size());
  if (got.size() == 3) {
    CHECK(got[0].type == MidiType::kNoteOn && got[0].channel == 1 && got[0].data1 == 60, "first note");
    CHECK(got[1].type == MidiType::kNoteOff && got[1].data1 == 62, "velocity 0 -> note off");
    CHECK(got[2].type == MidiType::kNoteOn && got[2].data1 == 64 && got[2].data2 == 90, "rt inside msg");
  }
  p.reset();
  feed({0x40, 0x7F, 0xF0, 0x90, 1, 2, 3, 0xF7, 5, 6});  // stray data, sysex with a fake status inside
  // 0x90 inside SysEx is a status byte: it ends the SysEx (malformed stream) and starts a note
  // on; 1,2 make a message, 3 starts another that 0xF7 cancels; 5,6 have no status.
  CHECK(got.size() == 1 && got[0].data1 == 1, "sysex/garbage: %zu events", got.size());
  feed({0xE0, 0x00, 0x40, 0xE0, 0x7F, 0x7F, 0xE0, 0, 0});
  CHECK(got.size() == 3 && got[0].bend == 0 && got[1].bend == 8191 && got[2].bend == -8192, "bend values");
  feed({0xC0, 5, 6, 0xB0, 64});  // program change (1 data byte, running), truncated CC
  CHECK(got.size() == 2 && got[0].type == MidiType::kProgramChange && got[1].data1 == 6, "1-byte messages");
}

void testLimiter() {
  OutputLimiter l;
  l.prepare(48000);
  l.setCeilingDb(-1.f);
  const float c = std::pow(10.f, -1.f / 20.f);
  std::vector<float> x(4000);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = u(rng) * (i % 3 == 0 ? 1e30f : 5.f);
    if (i % 97 == 0) x[i] = NAN;
    if (i % 101 == 0) x[i] = INFINITY;
    if (i % 103 == 0) x[i] = -INFINITY;
  }
  l.process(x.data(), static_cast<int>(x.size()));
  bool ok = true;
  for (float v : x) ok = ok && std::isfinite(v) && std::fabs(v) <= c * 1.0001f;
  CHECK(ok, "limiter output finite and <= ceiling");
  // Quiet signals pass untouched (after the detector has released).
  OutputLimiter q;
  q.prepare(48000);
  std::vector<float> s(1000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = 0.3f * std::sin(0.05f * i);
  std::vector<float> y = s;
  q.process(y.data(), static_cast<int>(y.size()));
  float err = 0.f;
  for (size_t i = 0; i < s.size(); ++i) err = std::max(err, std::fabs(y[i] - s[i]));
  CHECK(err == 0.f, "limiter changes a -10 dBFS sine by %g (must pass bit for bit)", err);
  // The ceiling is bounded: +40 dB is clamped to +12 dB, -60 dB to -24 dB, NaN ignored.
  OutputLimiter r;
  r.prepare(44100);
  r.setCeilingDb(40.f);
  CHECK(r.ceilingDb() == OutputLimiter::kMaxCeilingDb, "ceiling above +12 dB not clamped: %g", r.ceilingDb());
  r.setCeilingDb(NAN);
  CHECK(r.ceilingDb() == OutputLimiter::kMaxCeilingDb, "NaN ceiling changed the ceiling");
  std::vector<float> big(500, 1e6f);
  r.process(big.data(), static_cast<int>(big.size()));
  bool under = true;
  for (float v : big) under = under && std::fabs(v) <= r.ceiling();
  CHECK(under, "limiter at +12 dB exceeds %g", r.ceiling());
  r.setCeilingDb(-60.f);
  CHECK(r.ceilingDb() == OutputLimiter::kMinCeilingDb, "ceiling below -24 dB not clamped: %g", r.ceilingDb());
}

void testQueue() {
  auto q = std::make_unique<EventQueue<int64_t, 1024>>();
  const int kPer = 50000, kProducers = 3;
  std::atomic<bool> go{false};
  std::vector<std::thread> th;
  for (int p = 0; p < kProducers; ++p)
    th.emplace_back([&, p] {
      while (!go.load()) {}
      for (int i = 0; i < kPer; ++i)
        while (!q->push(static_cast<int64_t>(p) * kPer + i)) std::this_thread::yield();
    });
  go = true;
  std::vector<int> last(kProducers, -1);
  int64_t n = 0, v = 0;
  bool order = true;
  while (n < int64_t(kPer) * kProducers) {
    if (q->pop(v)) {
      const int p = static_cast<int>(v / kPer), i = static_cast<int>(v % kPer);
      order = order && i == last[p] + 1;  // per-producer FIFO, nothing lost or duplicated
      last[p] = i;
      ++n;
    }
  }
  for (auto& t : th) t.join();
  CHECK(order, "queue: per-producer order / loss / duplicates");
  CHECK(!q->pop(v), "queue empty at the end");
}

}  // namespace

int main(int argc, char** argv) {
  testParser();
  testLimiter();
  testQueue();
  const char* path = argc > 1 ? argv[1] : std::getenv("RT_SYNTH_TEST_DDSP_MODEL");
  if (!path) {
    std::fprintf(stderr, "usage: test_synth_engine MODEL.rtsynth\n");
    return 2;
  }
  std::unique_ptr<SynthEngine> e;
  if (Error err = SynthEngine::load(path, 8, e)) {
    std::fprintf(stderr, "load: %s\n", err.message.c_str());
    return 2;
  }
  Error perr = e->prepare(e->sampleRate(), 512);
  CHECK(perr.ok(), "prepare: %s", perr.message.c_str());
  const float ceiling = std::pow(10.f, -1.f / 20.f) * 1.0001f;

  // 1. Allocations in process() and the producer calls, 8 voices and everything else going.
  {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> bs(1, 512), note(30, 90), byte(0, 255);
    std::vector<float> out(512), in(512);
    for (int i = 0; i < 8; ++i) {
      const uint8_t on[3] = {0x90, static_cast<uint8_t>(50 + 3 * i), 100};
      e->pushMidi(on, 3, 0);
    }
    e->process(nullptr, out.data(), 512);  // warm-up
    const int64_t before = rt_test::allocation_count();
    bool finite = true, bounded = true;
    int max_active = 0;
    for (int b = 0; b < 1500; ++b) {
      const int n = bs(rng);
      if (b % 5 == 0) {
        const uint8_t on[3] = {0x90, static_cast<uint8_t>(note(rng)), 90};
        e->pushMidi(on, 3, n / 2);
      }
      if (b % 7 == 3) {
        const uint8_t bend[3] = {0xE0, 0, static_cast<uint8_t>(byte(rng) & 0x7F)};
        e->pushMidi(bend, 3, 0);
      }
      if (b % 11 == 0) {
        const uint8_t cc[6] = {0xB0, 64, static_cast<uint8_t>(b % 22 ? 127 : 0), 1,
                               static_cast<uint8_t>(byte(rng) & 0x7F), 0xF8};
        e->pushMidi(cc, 6, 1);
      }
      if (b % 13 == 0) {
        uint8_t junk[40];
        for (auto& j : junk) j = static_cast<uint8_t>(byte(rng));
        e->pushMidi(junk, 40, n - 1);
      }
      if (b % 17 == 0) e->setParam(Param::kGlideS, b % 34 ? NAN : 0.1f);
      if (b % 19 == 0) e->setParam(Param::kOutputGainDb, b % 38 ? INFINITY : 6.f);
      if (b % 200 == 100) e->setParam(Param::kLegato, (b / 200) % 2 ? 1.f : 0.f);
      for (int i = 0; i < n; ++i) in[i] = (i % 3) ? NAN : INFINITY;
      e->process(in.data(), out.data(), n);
      for (int i = 0; i < n; ++i) {
        finite = finite && std::isfinite(out[i]);
        bounded = bounded && std::fabs(out[i]) <= ceiling;
      }
      max_active = std::max(max_active, e->stats().active_voices);
    }
    const int64_t allocs = rt_test::allocation_count() - before;
    std::printf("allocations in process/pushMidi/setParam over 1500 random blocks: %lld\n",
                static_cast<long long>(allocs));
    CHECK(allocs == 0, "%lld allocations on the audio path", static_cast<long long>(allocs));
    CHECK(finite, "non-finite output");
    CHECK(bounded, "output above the limiter ceiling");
    CHECK(max_active == 8, "max active voices %d (expected 8)", max_active);
    CHECK(e->stats().notes_stolen > 0, "no steals happened");
  }

  // 2. Block-size independence (bit-exact).
  {
    e->setParam(Param::kLegato, 0.f);
    e->setParam(Param::kOutputGainDb, 0.f);
    e->setParam(Param::kGlideS, 0.05f);
    std::vector<float> flush(256);
    e->process(nullptr, flush.data(), 256);  // apply the queued parameter changes first
    const auto ev = piece();
    const int64_t n = 80000;
    const auto a = render(*e, ev, n, 64);
    float peak = 0.f;
    for (float v : a) peak = std::max(peak, std::fabs(v));
    CHECK(peak > 1e-3f, "piece is silent (peak %g)", peak);
    for (int block : {37, 1000, 1, 192}) {
      const auto b = render(*e, ev, n, block);
      int64_t diff = 0;
      for (int64_t i = 0; i < n; ++i) diff += a[i] != b[i];
      CHECK(diff == 0, "block %d differs from block 64 at %lld samples", block, static_cast<long long>(diff));
    }
    // Reset returns to silence.
    std::vector<float> out(4096);
    e->reset();
    e->process(nullptr, out.data(), 4096);
    float mx = 0.f;
    for (float v : out) mx = std::max(mx, std::fabs(v));
    CHECK(mx == 0.f, "not silent after reset (%g)", mx);
  }
  return finish("test_synth_engine");
}
