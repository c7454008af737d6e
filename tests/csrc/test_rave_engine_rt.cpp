// Real-time properties of the RAVE host engine (csrc/kinds/rave/rave_engine.*):
//  * zero heap allocations in RaveEngine::process over >= 1000 random blocks 1..max_block at
//    48 kHz (model rate) and 44.1 kHz (HostAdapter), while another thread pushes MIDI (CCs,
//    pitch bend, CC 121/123, garbage bytes) and sets latent controls (queue / atomics);
//  * output finite with NaN/Inf input sprinkled in;
//  * at the model rate without MIDI: RaveEngine == RaveModel::process, bit for bit;
//  * CC map: CC 16+i → offset i, CC 1 → global scale, bend → offset 0, CC 121 → controls at
//    rest, CC 123 → model reset; readback through the engine and the model's atomics;
//  * latency(): the model's at 48 kHz, plus the resamplers' delay at 44.1 kHz.
// Usage: test_rave_engine_rt MODEL.rtsynth (kind rave; tests/csrc/make_rave_test_model.py).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "dsp/output_limiter.h"
#include "kinds/rave/rave_model.h"
#include "kinds/rave/rave_engine.h"
#include "test_common.h"

using namespace rt_synth;
using rt_synth::rave::RaveEngine;

namespace {

std::vector<float> test_signal(int n, int rate) {
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.f, 0.05f);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = 0.5f * std::sin(2.f * 3.14159265f * 220.f * i / rate) + d(rng);
  return x;
}

void push(RaveEngine& e, std::initializer_list<uint8_t> b) {
  std::vector<uint8_t> v(b);
  e.pushMidi(v.data(), static_cast<int>(v.size()));
}

void test_equals_model(const std::string& path) {
  std::unique_ptr<RaveEngine> e;
  std::unique_ptr<RaveModel> m;
  CHECK(!RaveEngine::load(path, e) && !RaveModel::load(path, m), "load");
  if (!e || !m) return;
  CHECK(e->prepare(48000, 300).ok() && m->prepare(48000, 4096).ok(), "prepare");
  auto x = test_signal(48000, 48000);
  std::vector<float> a(x.size()), b(x.size());
  m->process(x.data(), b.data(), static_cast<int>(x.size()));
  // The engine ends in the safety stage (docs/safety.md): the model's output through it.
  OutputLimiter safety;
  safety.prepare(48000);
  safety.process(b.data(), static_cast<int>(b.size()));
  for (size_t p = 0; p < x.size(); p += 300) {
    const int n = static_cast<int>(std::min<size_t>(300, x.size() - p));
    e->process(x.data() + p, a.data() + p, n);
  }
  bool same = true;
  for (size_t i = 0; i < x.size(); ++i) same = same && a[i] == b[i];
  CHECK(same, "RaveEngine at 48 kHz differs from RaveModel::process + OutputLimiter");
  CHECK(e->latency() == m->latency(), "latency %d != model %d", e->latency(), m->latency());
}

void test_cc_map(const std::string& path) {
  std::unique_ptr<RaveEngine> e;
  CHECK(!RaveEngine::load(path, e), "load");
  if (!e) return;
  CHECK(e->prepare(48000, 64).ok(), "prepare");
  const RaveModel& m = e->model();
  const float range = m.config().latent_offset_range, smax = m.config().latent_scale_max;
  std::vector<float> buf(64, 0.f);
  push(*e, {0xB0, 16, 127});  // offset of control 0 to +range·std0
  push(*e, {0xB3, 17, 0});    // control 1 to −range·std1 (any channel)
  push(*e, {0xB0, 1, 127});   // global scale to latent_scale_max
  e->process(buf.data(), buf.data(), 64);
  CHECK(std::fabs(e->latentOffset(0) - range * m.latentStd(0)) < 1e-5f, "CC16 → offset 0: %g", e->latentOffset(0));
  CHECK(std::fabs(e->latentOffset(1) + range * m.latentStd(1)) < 1e-5f, "CC17=0 → offset 1: %g", e->latentOffset(1));
  CHECK(std::fabs(e->effectiveOffset(0) - range * m.latentStd(0)) < 1e-5f, "model offset 0: %g", e->effectiveOffset(0));
  CHECK(std::fabs(e->globalScale() - smax) < 1e-5f && std::fabs(e->effectiveScale(2) - smax) < 1e-5f,
        "CC1 → global scale %g, model scale %g", e->globalScale(), e->effectiveScale(2));
  push(*e, {0xB0, 16, 64, 0xB0, 1, 0});  // back to rest (running status variant below)
  push(*e, {0xE0, 0x7F, 0x7F});          // full bend up → + range·std0 on control 0
  e->process(buf.data(), buf.data(), 64);
  CHECK(std::fabs(e->latentOffset(0)) < 1e-6f, "CC16=64 → 0: %g", e->latentOffset(0));
  CHECK(std::fabs(e->effectiveOffset(0) - range * m.latentStd(0)) < 1e-4f, "bend → offset 0: %g", e->effectiveOffset(0));
  CHECK(std::fabs(e->effectiveScale(0) - 1.f) < 1e-6f, "CC1=0 → scale 1: %g", e->effectiveScale(0));
  push(*e, {0xB0, 121, 0});
  e->process(buf.data(), buf.data(), 64);
  CHECK(e->latentOffset(1) == 0.f && e->bendOffset() == 0.f && e->effectiveOffset(0) == 0.f, "CC121 → rest");
  const int64_t resets = e->stats().resets;
  push(*e, {0xB0, 123, 0});
  e->process(buf.data(), buf.data(), 64);
  CHECK(e->stats().resets == resets + 1, "CC123 → model reset");
  CHECK(e->mapCC(30, RaveEngine::kScale, 2), "mapCC");
  push(*e, {0xB0, 30, 127});
  e->process(buf.data(), buf.data(), 64);
  CHECK(std::fabs(e->latentScale(2) - smax) < 1e-5f, "mapped CC30 → scale 2: %g", e->latentScale(2));
  CHECK(e->stats().midi_events >= 9, "midi events %lld", static_cast<long long>(e->stats().midi_events));
}

void test_no_alloc(const std::string& path, int rate) {
  std::unique_ptr<RaveEngine> e;
  CHECK(!RaveEngine::load(path, e), "load");
  if (!e) return;
  const int max_block = 512;
  CHECK(e->prepare(rate, max_block).ok(), "prepare %d", rate);
  if (rate != e->modelRate()) {
    CHECK(e->resampling() && e->latency() > e->modelLatency(), "latency at %d: %d (model %d)", rate, e->latency(),
          e->modelLatency());
  } else {
    CHECK(e->latency() == e->modelLatency(), "latency at the model rate");
  }
  auto x = test_signal(rate * 2, rate);
  std::vector<float> y(max_block);
  std::atomic<bool> stop{false};
  std::thread midi([&] {
    std::mt19937 r(99);
    std::uniform_int_distribution<int> byte(0, 255), cc(0, 127), val(0, 127), kind(0, 9);
    uint8_t buf[8];
    float v = 0.f;
    while (!stop.load()) {
      for (int burst = 0; burst < 16; ++burst) switch (kind(r)) {
        case 0: buf[0] = 0xE0; buf[1] = static_cast<uint8_t>(val(r)); buf[2] = static_cast<uint8_t>(val(r));
                e->pushMidi(buf, 3); break;
        case 1: buf[0] = 0xB0; buf[1] = 123; buf[2] = 0; e->pushMidi(buf, 3); break;
        case 2: buf[0] = 0xB0; buf[1] = 121; buf[2] = 0; e->pushMidi(buf, 3); break;
        case 3: for (auto& b : buf) b = static_cast<uint8_t>(byte(r));
                e->pushMidi(buf, 8); break;
        case 4: e->setLatentOffset(cc(r) % e->latentSize(), std::sin(v) * 2.f);
                e->setLatentScale(cc(r) % e->latentSize(), 1.f + std::cos(v));
                e->setGlobalScale(std::nanf("")); break;
        case 5: e->mapCC(cc(r), RaveEngine::kOffset, cc(r) % e->latentSize()); break;
        default: buf[0] = static_cast<uint8_t>(0xB0 | (byte(r) & 15)); buf[1] = static_cast<uint8_t>(cc(r) % 120);
                 buf[2] = static_cast<uint8_t>(val(r)); e->pushMidi(buf, 3); break;
      }
      v += 0.01f;
      std::this_thread::yield();
    }
  });
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> blk(1, max_block), bad(0, 200);
  int64_t allocs = 0, blocks = 0;
  bool finite = true;
  // Loop over the signal until >= 1000 blocks AND >= 2000 MIDI messages have gone through
  // (the MIDI thread really ran concurrently), at most 100 000 blocks.
  for (size_t p = 0; blocks < 100000 && (blocks < 1000 || e->stats().midi_events < 2000);) {
    if (p >= x.size()) p = 0;
    const int n = static_cast<int>(std::min<size_t>(blk(rng), x.size() - p));
    std::vector<float>& in = x;
    if (bad(rng) == 0) in[p] = std::nanf("");
    if (bad(rng) == 1) in[p] = INFINITY;
    const int64_t before = rt_test::allocation_count();
    e->process(in.data() + p, y.data(), n);
    allocs += rt_test::allocation_count() - before;
    for (int i = 0; i < n; ++i) finite = finite && std::isfinite(y[i]);
    p += n;
    ++blocks;
  }
  stop.store(true);
  midi.join();
  std::printf("rave engine at %d Hz: %lld blocks, %lld MIDI events, %lld CCs applied, %lld dropped, latency %d, "
              "%lld allocations\n",
              rate, static_cast<long long>(blocks), static_cast<long long>(e->stats().midi_events),
              static_cast<long long>(e->stats().cc_applied), static_cast<long long>(e->stats().events_dropped),
              e->latency(), static_cast<long long>(allocs));
  CHECK(blocks >= 1000, "only %lld blocks", static_cast<long long>(blocks));
  CHECK(allocs == 0, "%lld allocations in process at %d Hz", static_cast<long long>(allocs), rate);
  CHECK(finite, "non-finite output at %d Hz", rate);
  CHECK(e->stats().midi_events >= 2000, "MIDI thread too slow");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_rave_engine_rt MODEL.rtsynth\n");
    return 2;
  }
  test_equals_model(argv[1]);
  test_cc_map(argv[1]);
  test_no_alloc(argv[1], 48000);
  test_no_alloc(argv[1], 44100);
  return finish("test_rave_engine_rt");
}
