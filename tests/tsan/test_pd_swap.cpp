// ThreadSanitizer test of the Pure Data external's own model-swap code (plugins/pd/
// rt_synth_tilde.c, compiled unchanged) without Pd: pd_host_stubs.c stands in for the Pd API.
// The "audio thread" calls the external's perform routine block after block (Pd block 64,
// then 256 after a re-`dsp`) and checks its output (finite, |y| <= 1); the "Pd thread" sends
// the messages a patch would: load (alternately two DDSP files and a RAVE file, which the
// synth mode refuses: the old model must keep playing), mode synth|transfer, note, bend, cc,
// set, reset, params, and runs the external's clock (which joins the loader thread, publishes
// the new handle and closes the retired one). In real Pd, perform and messages share one
// thread; running them on two is the stricter case the external's atomic slots are written for.
// Usage: test_pd_swap DDSP.rtsynth RAVE.rtsynth [seconds]
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "pd_host_stubs.h"

namespace {

using Obj = void*;

void send_symbol(Obj x, const char* sel, const char* s) {
  reinterpret_cast<void (*)(Obj, t_symbol*)>(stub_method(sel))(x, gensym(s));
}
void send_floats(Obj x, const char* sel, float a, float b) {
  reinterpret_cast<void (*)(Obj, t_floatarg, t_floatarg)>(stub_method(sel))(x, a, b);
}
void send_float(Obj x, const char* sel, float a) {
  reinterpret_cast<void (*)(Obj, t_floatarg)>(stub_method(sel))(x, a);
}
void send_bang(Obj x, const char* sel) { reinterpret_cast<void (*)(Obj)>(stub_method(sel))(x); }

// Pd rebuilding its DSP graph (perform not running): the external re-prepares its handles.
void dsp(Obj x, std::vector<float>& in, std::vector<float>& out, int n) {
  t_signal s[2] = {};
  s[0].s_n = s[1].s_n = n;
  s[0].s_vec = in.data();
  s[1].s_vec = out.data();
  s[0].s_sr = s[1].s_sr = 48000;
  t_signal* sp[2] = {&s[0], &s[1]};
  reinterpret_cast<void (*)(Obj, t_signal**)>(stub_method("dsp"))(x, sp);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DDSP.rtsynth RAVE.rtsynth [seconds]\n", argv[0]);
    return 2;
  }
  const char* ddsp = argv[1];
  const char* rave = argv[2];
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  int failures = 0;
  rt_synth_tilde_setup();
  t_atom args[2];
  SETSYMBOL(&args[0], gensym(ddsp));
  SETFLOAT(&args[1], 8);
  Obj x = reinterpret_cast<void* (*)(t_symbol*, int, t_atom*)>(stub_newmethod())(gensym("rt_synth~"), 2, args);
  // Wait (on the "Pd thread") for the first load, DSP still off.
  for (int i = 0; i < 100000 && stub_loaded() < 1; ++i) {
    stub_run_clocks();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (stub_loaded() < 1) {
    std::fprintf(stderr, "FAIL: the first model never loaded\n");
    return 1;
  }
  std::vector<float> in(4096), out(4096);
  long blocks_total = 0, bad_total = 0;
  int loads_sent = 0;
  for (int phase = 0; phase < 2; ++phase) {
    const int n = phase == 0 ? 64 : 256;
    dsp(x, in, out, n);
    std::atomic<bool> stop{false};
    std::atomic<long> blocks{0}, bad{0};
    std::thread audio([&] {
      t_int* w = stub_perform_args();
      t_perfroutine perform = stub_perform();
      long t = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < n; ++i, ++t) in[i] = 0.5f * std::sin(0.0288f * static_cast<float>(t % 100000));
        if (t % 11 == 0) in[3] = NAN;
        perform(w);
        for (int i = 0; i < n; ++i)
          if (!std::isfinite(out[i]) || std::fabs(out[i]) > 1.0f) ++bad;
        ++blocks;
      }
    });
    std::mt19937 rng(5 + phase);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds / 2);
    int k = 0;
    while (std::chrono::steady_clock::now() < end) {
      stub_run_clocks();
      switch (rng() % 12) {
        case 0: send_symbol(x, "load", (++loads_sent % 3 == 2) ? rave : ddsp); break;
        case 1: send_symbol(x, "mode", (rng() & 1) ? "transfer" : "synth"); break;
        case 2: send_floats(x, "note", static_cast<float>(30 + rng() % 60), static_cast<float>(rng() % 128)); break;
        case 3: send_float(x, "bend", static_cast<float>(rng() % 2001) / 1000.f - 1.f); break;
        case 4: send_floats(x, "cc", static_cast<float>(rng() % 128), static_cast<float>(rng() % 128)); break;
        case 5: {
          void (*set)(Obj, t_symbol*, t_floatarg) = reinterpret_cast<void (*)(Obj, t_symbol*, t_floatarg)>(stub_method("set"));
          static const char* const names[] = {"attack_s", "output_gain_db", "dry", "wet", "latent_scale_global", "nope"};
          set(x, gensym(names[rng() % 6]), static_cast<float>(rng() % 100) / 10.f);
          break;
        }
        case 6: send_bang(x, "reset"); break;
        case 7: send_bang(x, "params"); break;
        default: break;
      }
      ++k;
      std::this_thread::sleep_for(std::chrono::microseconds(k % 50 == 0 ? 20000 : 300));
    }
    // Let the last load finish and be taken while DSP still runs.
    for (int i = 0; i < 2000; ++i) {
      stub_run_clocks();
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    stop = true;
    audio.join();
    blocks_total += blocks;
    bad_total += bad;
    std::printf("phase %d (Pd block %d): %ld perform calls, %ld bad samples\n", phase, n, blocks.load(), bad.load());
  }
  reinterpret_cast<void (*)(Obj)>(stub_freemethod())(x);
  std::free(x);
  std::printf("loads sent %d, loaded %d, refused %d\n", loads_sent, stub_loaded(), stub_errors());
  if (bad_total) {
    std::fprintf(stderr, "FAIL: %ld output samples non-finite or above |y| = 1\n", bad_total);
    ++failures;
  }
  if (stub_loaded() < 4 || stub_errors() < 1 || blocks_total < 100) {
    std::fprintf(stderr, "FAIL: too little happened (loaded %d, refused %d, %ld blocks)\n", stub_loaded(), stub_errors(),
                 blocks_total);
    ++failures;
  }
  std::printf("test_pd_swap: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
