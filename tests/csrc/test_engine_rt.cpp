// Engine (csrc/synth/engine.h): synth + transfer modes behind one object, real-time checks.
//   - zero heap allocations inside Engine::process (and pushMidi / setMode) with MIDI and 8
//     voices sounding in synth mode AND with input audio in transfer mode, switching modes
//     mid-stream, at 48 kHz (no resampler) and 44.1 kHz (HostAdapter), random blocks 1..max
//   - output finite; transfer mode follows the input (non-silent), synth mode sounds
//   - latency(): synth = lookahead·hop at 48 kHz, transfer = feature_delay + hop; at 44.1 kHz
//     the resamplers' delay is added
//   - Engine in synth mode at 48 kHz == SynthEngine, bit for bit
//   - lookahead_frames = 1: the output equals the lookahead-free engine's for the same MIDI
//     delayed by one hop, and it is bit-identical for blocks 64 / 37 / 1 / 191
//   - RPN 0 (CC101/100 = 0, CC6 semitones, CC38 cents) sets bend_range_semitones
//   - DDSPNetwork group steps (the synth's lookahead) == the same voices stepped in one batch,
//     and two networks stepped alike are bit-identical
// Usage: test_engine_rt MODEL.rtsynth
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "alloc_counter.h"
#include "format/model_file.h"
#include "kinds/ddsp/ddsp_network.h"
#include "synth/engine.h"
#include "synth/midi_parser.h"
#include "test_common.h"

using namespace rt_synth;
using namespace rt_synth::synth;

namespace {

struct Timed {
  int64_t t;
  std::vector<uint8_t> b;
};

std::vector<Timed> piece(int64_t shift = 0) {
  std::vector<Timed> ev;
  auto add = [&](int64_t t, std::vector<uint8_t> b) { ev.push_back({t + shift, b}); };
  const int chord[8] = {48, 52, 55, 60, 64, 67, 72, 76};
  for (int i = 0; i < 8; ++i) add(100 + 13 * i, {0x90, static_cast<uint8_t>(chord[i]), 100});
  add(9000, {0xB0, 1, 100});
  add(12000, {0xE0, 0x00, 0x60});
  add(20000, {0xB0, 64, 127});
  for (int i = 0; i < 8; ++i) add(24000 + 7 * i, {0x80, static_cast<uint8_t>(chord[i]), 0});
  for (int i = 0; i < 16; ++i) add(30000 + 700 * i, {0x90, static_cast<uint8_t>(60 + i), 90});  // steals
  add(42000, {0xB0, 64, 0});
  for (int i = 0; i < 16; ++i) add(43000 + 300 * i, {0x80, static_cast<uint8_t>(60 + i), 0});
  add(50000, {0xB0, 120, 0});  // all sound off
  add(52000, {0x90, 62, 80});
  add(60000, {0x80, 62, 0});
  return ev;
}

template <class E>
std::vector<float> render(E& e, const std::vector<Timed>& ev, int64_t n, int block) {
  e.reset();
  std::vector<float> out(n);
  size_t k = 0;
  for (int64_t s = 0; s < n; s += block) {
    const int m = static_cast<int>(std::min<int64_t>(block, n - s));
    while (k < ev.size() && ev[k].t < s + m) {
      e.pushMidi(ev[k].b.data(), static_cast<int>(ev[k].b.size()), static_cast<int>(std::max<int64_t>(0, ev[k].t - s)));
      ++k;
    }
    e.process(nullptr, out.data() + s, m);
  }
  return out;
}

float maxAbs(const std::vector<float>& a) {
  float m = 0.f;
  for (float x : a) m = std::max(m, std::fabs(x));
  return m;
}

void testRpnParser() {
  MidiParser p;
  MidiEvent ev{};
  std::vector<MidiEvent> got;
  auto feed = [&](std::vector<uint8_t> bytes) {
    got.clear();
    for (uint8_t b : bytes)
      if (p.feed(b, ev)) {
        got.push_back(ev);
        if (p.pendingRpn(ev)) got.push_back(ev);
      }
  };
  feed({0xB0, 101, 0, 100, 0, 6, 12});  // running status
  CHECK(got.size() == 4 && got[3].type == MidiType::kBendRange && got[3].bend == 1200,
        "RPN 0 = 12 semitones: %zu events, last bend %d", got.size(), got.empty() ? -1 : got.back().bend);
  feed({0xB0, 38, 50});
  CHECK(got.size() == 2 && got[1].type == MidiType::kBendRange && got[1].bend == 1250, "CC38 cents");
  feed({0xB1, 6, 7});  // other channel: no RPN selected there
  CHECK(got.size() == 1, "RPN is per channel: %zu", got.size());
  feed({0xB0, 101, 127, 100, 127, 6, 3});  // null RPN
  CHECK(got.size() == 3, "null RPN deselects: %zu", got.size());
  feed({0xB0, 101, 0, 100, 1, 6, 3});  // RPN 1 (fine tuning): not a bend range
  CHECK(got.size() == 3, "RPN 1 ignored: %zu", got.size());
  feed({0xB0, 101, 0, 100, 0, 99, 5, 6, 3});  // NRPN selected after: data entry is NRPN's
  CHECK(got.size() == 4, "NRPN deselects: %zu", got.size());
}

void testRpnEngine(const char* path) {
  std::unique_ptr<Engine> e;
  if (Error err = Engine::load(path, 4, e)) {
    CHECK(false, "load: %s", err.message.c_str());
    return;
  }
  CHECK(e->prepare(48000, 256).ok(), "prepare");
  std::vector<float> out(256);
  const uint8_t rpn[] = {0xB0, 101, 0, 0xB0, 100, 0, 0xB0, 6, 12, 0xB0, 38, 25};
  CHECK(e->pushMidi(rpn, sizeof rpn, 0), "push");
  for (int i = 0; i < 3; ++i) e->process(nullptr, out.data(), 256);
  CHECK(std::fabs(e->synth().param(Param::kBendRangeSemitones) - 12.25f) < 1e-5f, "bend range after RPN: %g",
        e->synth().param(Param::kBendRangeSemitones));
}

// One long run with everything going; returns allocations counted inside the loop.
int64_t allocRun(Engine& e, int max_block, uint32_t seed, float* peak_synth, float* peak_transfer) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> bs(1, max_block), note(30, 90), byte(0, 255);
  std::vector<float> in(max_block), out(max_block);
  double phase = 0.0;
  *peak_synth = *peak_transfer = 0.f;
  // Warm-up in both modes (first use of anything lazy happens here, outside the count).
  for (int m = 0; m < 2; ++m) {
    e.setMode(m ? Engine::Mode::kTransfer : Engine::Mode::kSynth);
    for (int b = 0; b < 40; ++b) e.process(in.data(), out.data(), max_block);
  }
  e.setMode(Engine::Mode::kSynth);
  e.process(in.data(), out.data(), max_block);
  for (int i = 0; i < 8; ++i) {
    const uint8_t on[3] = {0x90, static_cast<uint8_t>(45 + 4 * i), 100};
    e.pushMidi(on, 3, 0);
  }
  const int64_t before = rt_test::allocation_count();
  for (int b = 0; b < 2400; ++b) {
    const int n = bs(rng);
    if (b == 800) e.setMode(Engine::Mode::kTransfer);
    if (b == 1600) e.setMode(Engine::Mode::kSynth);
    if (b == 1601)
      for (int i = 0; i < 8; ++i) {
        const uint8_t on[3] = {0x90, static_cast<uint8_t>(47 + 4 * i), 100};
        e.pushMidi(on, 3, 0);
      }
    if (b % 5 == 0) {
      const uint8_t bend[3] = {0xE0, 0, static_cast<uint8_t>(byte(rng) & 0x7F)};
      e.pushMidi(bend, 3, n / 2);
    }
    if (b % 13 == 0) {
      const uint8_t cc[3] = {0xB0, 1, static_cast<uint8_t>(byte(rng) & 0x7F)};
      e.pushMidi(cc, 3, 0);
    }
    if (b % 97 == 50) {  // a steal now and then (all 8 voices busy)
      const uint8_t on[3] = {0x90, static_cast<uint8_t>(note(rng)), 90};
      e.pushMidi(on, 3, 0);
    }
    for (int i = 0; i < n; ++i) {  // a 220 Hz tone with a little noise: something to track
      in[i] = 0.3f * static_cast<float>(std::sin(phase)) + 0.01f * ((byte(rng) / 255.f) - 0.5f);
      phase += 2.0 * M_PI * 220.0 / e.hostRate();
    }
    if (b % 211 == 7) in[0] = NAN;
    e.process(in.data(), out.data(), n);
    float pk = 0.f;
    bool finite = true;
    for (int i = 0; i < n; ++i) {
      finite = finite && std::isfinite(out[i]);
      pk = std::max(pk, std::fabs(out[i]));
    }
    if (!finite) {
      CHECK(false, "non-finite output at block %d", b);
      break;
    }
    if (b > 300 && b < 800) *peak_synth = std::max(*peak_synth, pk);
    if (b > 1100 && b < 1600) *peak_transfer = std::max(*peak_transfer, pk);
  }
  return rt_test::allocation_count() - before;
}

void testGroupSteps(const char* path) {
  ModelFile f;
  DDSPConfig cfg;
  if (ModelFile::load(path, f) || DDSPConfig::read(f, cfg)) {
    CHECK(false, "model");
    return;
  }
  DDSPNetwork ref, bank, grouped;
  CHECK(ref.load(f, cfg).ok() && bank.load(f, cfg).ok() && grouped.load(f, cfg).ok(), "load");
  ref.prepare(8);
  bank.prepare(8);
  grouped.prepare(8);
  const int n_out = ref.numOutputs();
  std::vector<float> f0(8), ld(8), a(8 * n_out), b(8 * n_out), c(8 * n_out);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uf(60.f, 1500.f), ul(-90.f, -5.f);
  bool same = true, same_grouped = true;
  for (int t = 0; t < 20; ++t) {
    for (int v = 0; v < 8; ++v) {
      f0[v] = uf(rng);
      ld[v] = ul(rng);
    }
    ref.step(f0.data(), ld.data(), a.data(), 8);
    bank.step(f0.data(), ld.data(), b.data(), 8);
    grouped.stepGroup(0, f0.data(), ld.data(), c.data(), 3);
    grouped.stepGroup(3, f0.data() + 3, ld.data() + 3, c.data() + 3 * n_out, 3);
    grouped.stepGroup(6, f0.data() + 6, ld.data() + 6, c.data() + 6 * n_out, 2);
    for (int i = 0; i < 8 * n_out; ++i) {
      same = same && a[i] == b[i];
      same_grouped = same_grouped && std::fabs(a[i] - c[i]) <= 1e-5f * (1.f + std::fabs(a[i]));
    }
  }
  CHECK(same, "two DDSPNetworks stepped alike differ");
  CHECK(same_grouped, "DDSPNetwork group steps (3+3+2) != one step of 8 (GRU states per group)");
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : std::getenv("RT_SYNTH_TEST_DDSP_MODEL");
  if (!path) {
    std::fprintf(stderr, "usage: test_engine_rt MODEL.rtsynth\n");
    return 2;
  }
  testRpnParser();
  testRpnEngine(path);
  testGroupSteps(path);

  // 1. Allocations: synth with 8 voices and transfer with input audio, 48 and 44.1 kHz,
  //    lookahead on (block < hop) and off.
  for (int rate : {48000, 44100}) {
    for (int max_block : {128, 512}) {
      std::unique_ptr<Engine> e;
      if (Error err = Engine::load(path, 8, e)) {
        std::fprintf(stderr, "load: %s\n", err.message.c_str());
        return 2;
      }
      CHECK(e->transferAvailable(), "transfer mode available");
      Error perr = e->prepare(rate, max_block);
      CHECK(perr.ok(), "prepare %d: %s", rate, perr.message.c_str());
      float ps = 0.f, pt = 0.f;
      const int64_t allocs = allocRun(*e, max_block, 11u + rate + max_block, &ps, &pt);
      std::printf("engine @ %d Hz, max block %d (lookahead %d): allocations in process over 2400 blocks "
                  "(synth 8 voices + transfer + 2 switches): %lld; peak synth %.3f transfer %.3f\n",
                  rate, max_block, e->synth().lookaheadFrames(), static_cast<long long>(allocs), ps, pt);
      CHECK(allocs == 0, "%lld allocations in Engine::process at %d Hz", static_cast<long long>(allocs), rate);
      CHECK(ps > 1e-3f, "synth mode silent (peak %g)", ps);
      CHECK(pt > 1e-4f, "transfer mode silent (peak %g)", pt);
      CHECK(e->synth().stats().active_voices >= 1, "voices sounding after switching back");
      // Latency.
      const int hop = e->synth().hop();
      const int ls = e->latencyFor(Engine::Mode::kSynth), lt = e->latencyFor(Engine::Mode::kTransfer);
      const int eng_s = e->synth().latency(), eng_t = e->transfer()->latency();
      CHECK(eng_s == (max_block < hop ? hop : 0), "synth latency %d (lookahead auto)", eng_s);
      CHECK(eng_t == e->transfer()->featureDelay() + hop, "transfer latency %d", eng_t);
      if (rate == 48000) {
        CHECK(ls == eng_s && lt == eng_t, "48 kHz: latency = engine latency (%d %d)", ls, lt);
      } else {
        const int rs = static_cast<int>(std::lround(eng_s * 44100.0 / 48000.0));
        const int rt = static_cast<int>(std::lround(eng_t * 44100.0 / 48000.0));
        CHECK(ls > rs && lt > rt, "44.1 kHz: resampler delay included (%d > %d, %d > %d)", ls, rs, lt, rt);
        CHECK(ls < rs + 200 && lt < rt + 200, "44.1 kHz: resampler delay plausible (%d, %d)", ls, lt);
      }
      e->setMode(Engine::Mode::kSynth);
      CHECK(e->latency() == ls, "latency() follows the mode");
      const uint8_t on[3] = {0x90, 60, 100};
      CHECK(e->pushMidi(on, 3, 0), "MIDI accepted in synth mode");
      e->setMode(Engine::Mode::kTransfer);
      CHECK(e->latency() == lt, "latency() follows the mode (transfer)");
      CHECK(!e->pushMidi(on, 3, 0), "MIDI refused in transfer mode");
    }
  }

  // 2. Engine (synth, 48 kHz) == SynthEngine, bit for bit, no lookahead.
  {
    std::unique_ptr<Engine> e;
    std::unique_ptr<SynthEngine> s;
    if (Engine::load(path, 8, e) || SynthEngine::load(path, 8, s)) return 2;
    CHECK(e->prepare(48000, 512).ok() && s->prepare(48000, 512).ok(), "prepare");
    const int64_t n = 64000;
    const auto a = render(*e, piece(), n, 333);
    const auto b = render(*s, piece(), n, 333);
    CHECK(a == b, "Engine(synth) != SynthEngine");
    CHECK(maxAbs(a) > 1e-2f, "render silent");
  }

  // 3. Lookahead: == lookahead-free output with the MIDI delayed one hop; block independent.
  {
    std::unique_ptr<SynthEngine> la, ref;
    if (SynthEngine::load(path, 8, la) || SynthEngine::load(path, 8, ref)) return 2;
    CHECK(la->prepare(48000, 1024, 1).ok() && ref->prepare(48000, 1024, 0).ok(), "prepare");
    CHECK(la->latency() == la->hop() && ref->latency() == 0, "lookahead latency %d", la->latency());
    CHECK(la->networkGroups() == 3, "3 network groups for 8 voices, got %d", la->networkGroups());
    const int64_t n = 66000;
    const auto r = render(*ref, piece(ref->hop()), n, 64);
    const auto a = render(*la, piece(), n, 64);
    double diff = 0.0;
    for (int64_t i = 0; i < n; ++i) diff = std::max(diff, static_cast<double>(std::fabs(a[i] - r[i])));
    std::printf("lookahead vs reference (MIDI delayed one hop): max |diff| %.3g, peak %.3f\n", diff, maxAbs(r));
    CHECK(maxAbs(r) > 1e-2f, "reference silent");
    CHECK(diff <= 1e-5, "lookahead output differs from the delayed reference by %g", diff);
    for (int block : {37, 1, 191, 1024}) {
      const auto b = render(*la, piece(), n, block);
      CHECK(a == b, "lookahead render with block %d differs from block 64", block);
    }
    // The same with lookahead and 2 voices (2 groups) and 1 voice (1 group).
    for (int v : {1, 2}) {
      std::unique_ptr<SynthEngine> l2, r2;
      if (SynthEngine::load(path, v, l2) || SynthEngine::load(path, v, r2)) return 2;
      CHECK(l2->prepare(48000, 64, -1).ok() && r2->prepare(48000, 64).ok(), "prepare");
      CHECK(l2->lookaheadFrames() == 1, "auto lookahead for block 64 < hop");
      const auto x = render(*l2, piece(), n, 64);
      const auto y = render(*r2, piece(l2->hop()), n, 64);
      double d = 0.0;
      for (int64_t i = 0; i < n; ++i) d = std::max(d, static_cast<double>(std::fabs(x[i] - y[i])));
      CHECK(d <= 1e-5 && maxAbs(y) > 1e-2f, "%d voices: lookahead diff %g", v, d);
    }
  }
  return finish("test_engine_rt");
}
