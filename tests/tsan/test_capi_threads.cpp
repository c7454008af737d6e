// ThreadSanitizer test of the C ABI's threading contract (docs/embedding.md, "Threading
// rules"), built with -fsanitize=thread by tests/tsan/test_tsan.py; any data race, lock-order
// inversion or use-after-free across threads makes TSan exit non-zero.
//  1. One handle, a running process loop (random block sizes 1..256, NaN/huge input now and
//     then), while other threads call the [ANY] functions: two set/get_param threads (any
//     value, NaN included), a MIDI thread (random bytes, notes, CCs, offsets), a metadata
//     thread. For ddsp synth at 48 and 44.1 kHz, ddsp transfer at 44.1 kHz, rave forward at
//     48 and 96 kHz.
//  2. Model swaps as the header prescribes: a loader thread opens and prepares a new handle
//     (alternately ddsp synth, rave forward, ddsp transfer), sets its parameters, publishes it
//     in an atomic slot; the audio thread exchanges it at the top of a block and hands the old
//     one back through a second slot; the loader closes it. The loader also sends MIDI and
//     parameters to the handle it published last (only it closes handles, so that one is alive).
// Output: every sample finite and |y| <= 1. Usage: test_capi_threads DDSP.rtsynth RAVE.rtsynth [seconds]
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "rt_synth.h"
#include "test_common.h"  // tests/csrc: CHECK, read_all, finish

namespace {

constexpr int kMaxBlock = 256;

rt_synth_handle* open_prepared(const std::vector<unsigned char>& bytes, int method, double rate) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = method;
  opt.max_voices = 8;
  rt_synth_handle* h = nullptr;
  rt_synth_status st = rt_synth_open_memory(bytes.data(), bytes.size(), "model", &opt, &h);
  if (st == RT_SYNTH_OK) st = rt_synth_prepare(h, rate, kMaxBlock, 1);
  CHECK(st == RT_SYNTH_OK, "open/prepare method %d at %g Hz: %s", method, rate, rt_synth_last_error());
  if (st != RT_SYNTH_OK) {
    rt_synth_close(h);
    return nullptr;
  }
  return h;
}

// The audio thread's block: input with a NaN or a huge value now and then, output checked.
struct AudioBlock {
  std::vector<float> in = std::vector<float>(kMaxBlock), out = std::vector<float>(kMaxBlock);
  std::mt19937 rng{7};
  long long t = 0;
  int failed = 0, non_finite = 0, over = 0;
  void run(rt_synth_handle* h, double rate) {
    const int n = std::uniform_int_distribution<int>(1, kMaxBlock)(rng);
    for (int i = 0; i < n; ++i, ++t) in[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 220.0 * t / rate));
    if (t % 5 == 0) in[n / 2] = NAN;
    if (t % 7 == 0) in[0] = 1e30f;
    const float* ip[1] = {in.data()};
    float* op[1] = {out.data()};
    if (rt_synth_process(h, ip, op, n) != RT_SYNTH_OK) ++failed;
    for (int i = 0; i < n; ++i) {
      if (!std::isfinite(out[i])) ++non_finite;
      else if (std::fabs(out[i]) > 1.0f) ++over;
    }
  }
};

void random_midi(rt_synth_handle* h, std::mt19937& rng) {
  std::uniform_int_distribution<int> b(0, 255), d(0, 127), kind(0, 5);
  uint8_t m[8];
  int len = 3;
  switch (kind(rng)) {
    case 0: m[0] = 0x90; m[1] = static_cast<uint8_t>(d(rng)); m[2] = static_cast<uint8_t>(d(rng)); break;
    case 1: m[0] = 0x80; m[1] = static_cast<uint8_t>(d(rng)); m[2] = 0; break;
    case 2: m[0] = 0xB0; m[1] = static_cast<uint8_t>(d(rng)); m[2] = static_cast<uint8_t>(d(rng)); break;
    case 3: m[0] = 0xE0; m[1] = static_cast<uint8_t>(d(rng)); m[2] = static_cast<uint8_t>(d(rng)); break;
    default:
      len = 1 + b(rng) % 8;
      for (int i = 0; i < len; ++i) m[i] = static_cast<uint8_t>(b(rng));
  }
  rt_synth_send_midi(h, m, len, std::uniform_int_distribution<int>(0, 600)(rng));
}

void random_param(rt_synth_handle* h, std::mt19937& rng) {
  const int n = rt_synth_param_count(h);
  if (n <= 0) return;
  rt_synth_param_info pi;
  if (rt_synth_get_param_info(h, std::uniform_int_distribution<int>(0, n - 1)(rng), &pi) != RT_SYNTH_OK) return;
  if (std::strcmp(pi.name, "output_ceiling_db") == 0) return;  // stays at its default: |y| <= 1 is checked
  const int k = std::uniform_int_distribution<int>(0, 9)(rng);
  const float v = k == 0 ? NAN : (k == 1 ? 1e30f : pi.min + (pi.max - pi.min) * std::uniform_real_distribution<float>(0, 1)(rng));
  rt_synth_set_param(h, pi.id, v);
  float back = 0;
  if (rt_synth_get_param(h, pi.id, &back) == RT_SYNTH_OK) CHECK(!std::isnan(back), "get_param gave NaN");
}

// Control threads leave the audio thread most of the CPU (2 shared cores under TSan):
// a UI or MIDI thread calls in bursts, not in a busy loop.
void pace() { std::this_thread::sleep_for(std::chrono::microseconds(50)); }

void shared_handle(const std::vector<unsigned char>& bytes, int method, double rate, double seconds, const char* what) {
  rt_synth_handle* h = open_prepared(bytes, method, rate);
  if (!h) return;
  std::atomic<bool> stop{false};
  std::atomic<long> blocks{0}, params{0}, midis{0}, metas{0};
  AudioBlock audio;
  std::thread audio_thread([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      audio.run(h, rate);
      ++blocks;
    }
    stop = true;
  });
  std::vector<std::thread> control;
  for (int k = 0; k < 2; ++k)
    control.emplace_back([&, k] {
      std::mt19937 rng(100 + k);
      while (!stop) {
        random_param(h, rng);
        if (++params % 8 == 0) pace();
      }
    });
  control.emplace_back([&] {
    std::mt19937 rng(200);
    while (!stop) {
      random_midi(h, rng);
      if (++midis % 8 == 0) pace();
    }
  });
  control.emplace_back([&] {
    while (!stop) {
      volatile size_t s = 0;
      s += std::strlen(rt_synth_kind(h)) + std::strlen(rt_synth_name(h)) + rt_synth_hop(h);
      for (int i = 0; i < rt_synth_metadata_count(h); ++i) s += std::strlen(rt_synth_metadata_value(h, rt_synth_metadata_key(h, i)));
      rt_synth_method_info mi;
      for (int i = 0; i < rt_synth_method_count(h); ++i)
        if (rt_synth_get_method_info(h, i, &mi) == RT_SYNTH_OK) s += mi.latency;
      ++metas;
      pace();
    }
  });
  audio_thread.join();
  for (auto& t : control) t.join();
  CHECK(audio.failed == 0 && audio.non_finite == 0 && audio.over == 0,
        "%s: %d failed process calls, %d non-finite samples, %d samples above |y| = 1", what, audio.failed,
        audio.non_finite, audio.over);
  CHECK(blocks >= 5 && params > 50 && midis > 50 && metas > 5, "%s: too little concurrency: %ld blocks, %ld params, %ld midi, %ld metadata",
        what, blocks.load(), params.load(), midis.load(), metas.load());
  std::printf("%s at %g Hz: %ld blocks, %ld param calls, %ld MIDI sends, %ld metadata rounds\n", what, rate,
              blocks.load(), params.load(), midis.load(), metas.load());
  rt_synth_close(h);
}

void model_swaps(const std::vector<unsigned char>& ddsp, const std::vector<unsigned char>& rave, double rate,
                 double seconds) {
  std::atomic<rt_synth_handle*> pending{nullptr}, retired{nullptr};
  std::atomic<bool> stop{false};
  std::atomic<long> blocks{0}, swaps_seen{0};
  AudioBlock audio;
  std::thread audio_thread([&] {
    rt_synth_handle* active = nullptr;  // owned by this thread
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (pending.load(std::memory_order_acquire)) {
        rt_synth_handle* expected = nullptr;
        // Hand the old one back only if the slot is free; else keep playing it (never wait).
        if (!active || retired.load(std::memory_order_acquire) == nullptr) {
          rt_synth_handle* p = pending.exchange(nullptr, std::memory_order_acq_rel);
          if (p) {
            if (active) {
              const bool ok = retired.compare_exchange_strong(expected, active, std::memory_order_acq_rel);
              CHECK(ok, "retired slot taken by another thread");
            }
            active = p;
            ++swaps_seen;
          }
        }
      }
      if (active) audio.run(active, rate);
      ++blocks;
    }
    stop = true;
    // The audio thread has let go: give the last one back for the loader to close.
    while (active) {
      rt_synth_handle* expected = nullptr;
      if (retired.compare_exchange_strong(expected, active)) active = nullptr;
      else std::this_thread::yield();
    }
  });
  std::thread loader([&] {
    std::mt19937 rng(300);
    rt_synth_handle* published = nullptr;  // alive until this thread closes it
    std::vector<rt_synth_handle*> live;    // every handle not yet closed
    long opened = 0;
    auto close_retired = [&] {
      if (rt_synth_handle* old = retired.exchange(nullptr, std::memory_order_acq_rel)) {
        for (auto& p : live)
          if (p == old) p = nullptr;
        if (old == published) published = nullptr;
        rt_synth_close(old);
      }
    };
    while (!stop) {
      const int which = static_cast<int>(opened % 3);
      rt_synth_handle* h = which == 1 ? open_prepared(rave, RT_SYNTH_METHOD_FORWARD, rate)
                                      : open_prepared(ddsp, which == 0 ? RT_SYNTH_METHOD_SYNTH : RT_SYNTH_METHOD_TRANSFER, rate);
      ++opened;
      if (!h) break;
      for (int i = 0; i < 4; ++i) random_param(h, rng);
      live.push_back(h);
      // Publish; one published earlier and not taken is ours again: the audio thread never saw it.
      if (rt_synth_handle* old = pending.exchange(h, std::memory_order_acq_rel)) {
        for (auto& p : live)
          if (p == old) p = nullptr;
        rt_synth_close(old);
      }
      published = h;
      for (int k = 0; k < 40 && !stop; ++k) {
        close_retired();
        if (published) {
          random_midi(published, rng);
          random_param(published, rng);
        }
        pace();
      }
    }
    // Wait for the audio thread's last hand-back, then close what is left.
    while (!stop) std::this_thread::yield();
    for (int spin = 0; spin < 1000000; ++spin) {
      close_retired();
      bool any = false;
      for (auto p : live) any = any || p;
      if (!any) break;
      if (rt_synth_handle* p = pending.exchange(nullptr)) {
        for (auto& q : live)
          if (q == p) q = nullptr;
        rt_synth_close(p);
      }
      std::this_thread::yield();
    }
    std::printf("model swaps at %g Hz: %ld handles opened, ", rate, opened);
  });
  audio_thread.join();
  loader.join();
  CHECK(audio.failed == 0 && audio.non_finite == 0 && audio.over == 0,
        "model swaps: %d failed process calls, %d non-finite samples, %d samples above |y| = 1", audio.failed,
        audio.non_finite, audio.over);
  CHECK(swaps_seen >= 3, "model swaps: only %ld swaps reached the audio thread", swaps_seen.load());
  std::printf("%ld swaps taken by the audio thread, %ld blocks\n", swaps_seen.load(), blocks.load());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DDSP.rtsynth RAVE.rtsynth [seconds per scenario] [EFFECT.rtsynth]\n", argv[0]);
    return 2;
  }
  const auto ddsp = read_all(argv[1]), rave = read_all(argv[2]);
  const double s = argc > 3 ? std::atof(argv[3]) : 2.0;
  CHECK(!ddsp.empty() && !rave.empty(), "cannot read %s or %s", argv[1], argv[2]);
  if (g_failures) return 1;
  shared_handle(ddsp, RT_SYNTH_METHOD_SYNTH, 48000.0, s, "ddsp synth");
  shared_handle(ddsp, RT_SYNTH_METHOD_SYNTH, 44100.0, s, "ddsp synth");
  shared_handle(ddsp, RT_SYNTH_METHOD_TRANSFER, 44100.0, s, "ddsp transfer");
  shared_handle(rave, RT_SYNTH_METHOD_FORWARD, 48000.0, s, "rave forward");
  shared_handle(rave, RT_SYNTH_METHOD_FORWARD, 96000.0, s, "rave forward");
  if (argc > 4) {  // an effect: gains, knobs and ceiling moved from other threads while it plays
    const auto fx = read_all(argv[4]);
    CHECK(!fx.empty(), "cannot read %s", argv[4]);
    if (!fx.empty()) {
      shared_handle(fx, RT_SYNTH_METHOD_TRANSFER, 48000.0, s, "effect forward");
      shared_handle(fx, RT_SYNTH_METHOD_FORWARD, 44100.0, s, "effect forward");
    }
  }
  model_swaps(ddsp, rave, 48000.0, 3 * s);
  model_swaps(ddsp, rave, 44100.0, 2 * s);
  return finish("test_capi_threads");
}
