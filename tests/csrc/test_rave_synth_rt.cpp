// Real-time properties of the RAVE MIDI synth (csrc/kinds/rave/rave_synth.*):
//  * zero heap allocations in RaveSynth::process over >= 1000 random blocks 1..max_block at
//    48 kHz (model rate) and 44.1 kHz (HostAdapter), while another thread pushes MIDI (notes,
//    128 notes at once, extreme bends, CCs, CC 120/121/123, garbage bytes) and sets controls;
//  * output finite and |y| <= 1 throughout;
//  * without notes the output is exactly 0; a note's first non-zero sample is latency()
//    samples after its event (model rate), whatever the frame phase of the event;
//  * after note-off, exactly 0 once the release is over.
// Usage: test_rave_synth_rt MODEL.rtsynth (kind rave with a pitch source).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "kinds/rave/rave_synth.h"
#include "test_common.h"

using namespace rt_synth;
using rt_synth::rave::RaveSynth;

namespace {

void push(RaveSynth& s, std::initializer_list<uint8_t> b) {
  std::vector<uint8_t> v(b);
  s.pushMidi(v.data(), static_cast<int>(v.size()));
}

void test_onset_and_silence(const std::string& path) {
  std::unique_ptr<RaveSynth> s;
  CHECK(!RaveSynth::load(path, s), "load");
  if (!s) return;
  CHECK(s->prepare(s->modelRate(), 512).ok(), "prepare");
  const int R = s->ratio(), L = s->latency();
  CHECK(L == s->modelLatency() && L > R, "latency %d (ratio %d)", L, R);
  std::vector<float> y(512);
  for (int phase : {0, 1, R / 2, R - 1}) {
    s->reset();
    // Silence before the note: exactly zero.
    const int pre = 4 * R + phase;
    std::vector<float> out(static_cast<size_t>(pre + 2 * L + 8 * R), 1.f);
    s->process(nullptr, out.data(), pre);
    push(*s, {0x90, 69, 100});
    for (size_t p = pre; p < out.size(); p += 100)
      s->process(nullptr, out.data() + p, static_cast<int>(std::min<size_t>(100, out.size() - p)));
    int first = -1;
    for (size_t i = 0; i < out.size() && first < 0; ++i)
      if (out[i] != 0.f) first = static_cast<int>(i);
    CHECK(first == pre + L, "phase %d: first sound at %d, expected event %d + latency %d", phase, first, pre, L);
  }
  // Note-off: exactly 0 after latency + release (+ one sample).
  s->reset();
  s->setRelease(0.05f);
  std::vector<float> out(static_cast<size_t>(s->modelRate()), 0.f);
  push(*s, {0x90, 60, 127});
  s->process(nullptr, out.data(), 4800);
  push(*s, {0x80, 60, 0});
  s->process(nullptr, out.data() + 4800, static_cast<int>(out.size()) - 4800);
  const int end = 4800 + L + static_cast<int>(0.05f * s->modelRate()) + 2;
  double during = 0, after = 0;
  for (int i = 4800 + L; i < 4800 + L + 480; ++i) during = std::max(during, (double)std::fabs(out[i]));
  for (size_t i = end; i < out.size(); ++i) after = std::max(after, (double)std::fabs(out[i]));
  CHECK(during > 0 && after == 0.0, "release: peak %g at its start, %g after it", during, after);
  s->setRelease(RaveSynth::kDefaultRelease);
}

void test_no_alloc(const std::string& path, int rate) {
  std::unique_ptr<RaveSynth> s;
  CHECK(!RaveSynth::load(path, s), "load");
  if (!s) return;
  const int max_block = 512;
  CHECK(s->prepare(rate, max_block).ok(), "prepare %d", rate);
  if (rate != s->modelRate()) CHECK(s->resampling() && s->latency() > s->modelLatency(), "latency at %d", rate);
  std::vector<float> y(max_block);
  std::atomic<bool> stop{false};
  std::thread midi([&] {
    std::mt19937 r(99);
    std::uniform_int_distribution<int> byte(0, 255), cc(0, 127), val(0, 127), kind(0, 11);
    uint8_t buf[8];
    float v = 0.f;
    while (!stop.load()) {
      for (int burst = 0; burst < 16; ++burst) switch (kind(r)) {
        case 0: buf[0] = 0xE0; buf[1] = static_cast<uint8_t>(val(r) & 1 ? 127 : 0);
                buf[2] = static_cast<uint8_t>(val(r) & 1 ? 127 : 0); s->pushMidi(buf, 3); break;  // extreme bends
        case 1: buf[0] = 0xB0; buf[1] = static_cast<uint8_t>(120 + (val(r) % 4)); buf[2] = 0; s->pushMidi(buf, 3); break;
        case 2: for (int n = 0; n < 128; ++n) { buf[0] = 0x90; buf[1] = static_cast<uint8_t>(n); buf[2] = 127;
                  s->pushMidi(buf, 3); } break;  // 128 notes at once
        case 3: for (auto& b : buf) b = static_cast<uint8_t>(byte(r));
                s->pushMidi(buf, 8); break;
        case 4: s->setLatentOffset(cc(r) % s->latentSize(), std::sin(v) * 1e6f);
                s->setLatentScale(cc(r) % s->latentSize(), 1.f + std::cos(v));
                s->setPreset(cc(r) % s->latentSize(), std::tan(v));
                s->setGlobalScale(std::nanf("")); s->setGlide(std::fabs(std::sin(v))); break;
        case 5: s->mapCC(cc(r), rave::kCCOffset, cc(r) % s->latentSize()); break;
        case 6: case 7: buf[0] = 0x90; buf[1] = static_cast<uint8_t>(val(r)); buf[2] = static_cast<uint8_t>(val(r));
                s->pushMidi(buf, 3); break;
        case 8: buf[0] = 0x80; buf[1] = static_cast<uint8_t>(val(r)); buf[2] = 0; s->pushMidi(buf, 3); break;
        default: buf[0] = static_cast<uint8_t>(0xB0 | (byte(r) & 15)); buf[1] = static_cast<uint8_t>(cc(r) % 120);
                 buf[2] = static_cast<uint8_t>(val(r)); s->pushMidi(buf, 3); break;
      }
      v += 0.01f;
      std::this_thread::yield();
    }
  });
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> blk(1, max_block);
  int64_t allocs = 0, blocks = 0;
  bool finite = true;
  float peak = 0.f;
  for (; blocks < 100000 && (blocks < 1000 || s->stats().midi_events < 2000); ++blocks) {
    const int n = blk(rng);
    const int64_t before = rt_test::allocation_count();
    s->process(nullptr, y.data(), n);
    allocs += rt_test::allocation_count() - before;
    for (int i = 0; i < n; ++i) {
      finite = finite && std::isfinite(y[i]);
      peak = std::max(peak, std::fabs(y[i]));
    }
  }
  stop.store(true);
  midi.join();
  const auto st = s->stats();
  std::printf("rave synth at %d Hz: %lld blocks, %lld MIDI events, %lld notes, %lld dropped, peak %.3f, latency %d, "
              "%lld allocations\n",
              rate, static_cast<long long>(blocks), static_cast<long long>(st.midi_events),
              static_cast<long long>(st.notes_on), static_cast<long long>(st.events_dropped), peak, s->latency(),
              static_cast<long long>(allocs));
  CHECK(blocks >= 1000, "only %lld blocks", static_cast<long long>(blocks));
  CHECK(allocs == 0, "%lld allocations in process at %d Hz", static_cast<long long>(allocs), rate);
  CHECK(finite && peak <= 1.f, "output not finite or above 1 (peak %g) at %d Hz", peak, rate);
  CHECK(st.midi_events >= 2000 && st.notes_on > 0, "MIDI thread too slow");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_rave_synth_rt MODEL.rtsynth\n");
    return 2;
  }
  test_onset_and_silence(argv[1]);
  test_no_alloc(argv[1], 48000);
  test_no_alloc(argv[1], 44100);
  return finish("test_rave_synth_rt");
}
