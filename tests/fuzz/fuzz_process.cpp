// libFuzzer harness: the process path of the DDSP synth, DDSP timbre transfer and RAVE
// forward at nine host rates (1 kHz to 192 kHz, 47 999 and 48 001 Hz among them), with
// fuzzer-chosen block sizes (1 .. 2x max_block, larger ones are split by the core), parameter
// values (any float: NaN, Inf, out of range), resets, MIDI, and adversarial input: full-scale
// noise, a 12 kHz square, alternating +-16, NaN, Inf, 1e30, denormals, raw float bit patterns.
// Every output sample (every channel) must be finite and |y| <= 1; once an input has set
// output_ceiling_db (any value: the core clamps it to its range), |y| <= the highest ceiling
// that range allows, for that input and the next one on the same handle.
// Input: [engine][rate] then ops, each [op][args]:
//   0 process n=u16 mod 1025 samples of signal kind u8, amplitude u8   1 set_param idx u8, value f32
//   2 set_param idx u8 to a fraction u8 of its range                    3 reset
//   4 MIDI 3 bytes at offset u16                                         5 process 2048 samples of silence
// engine: 0 ddsp synth, 1 ddsp transfer, 2 rave forward; rate: kRates[u8 mod 9].
// One prepared handle per (engine, rate), all opened before the first input (prepare at 1 kHz
// takes seconds under ASan, which must not count against an input's timeout); parameters back
// to their defaults and reset() at the start of each input.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"

namespace {

constexpr int kMaxBlock = 512;
constexpr int kChannels = 2;
// Work per input, in model-rate samples (a host block of n samples at rate r costs about
// n * 48000 / r of them): keeps one input fast at every host rate.
constexpr double kMaxModelSamplesPerInput = 1 << 14;
// Host rates: the common ones, the header's extremes' neighbourhood and ratios with no small
// terms (47 999, 48 001: the resampler's non-polyphase path, docs/safety.md).
constexpr double kRates[] = {1000.0, 16000.0, 22050.0, 44100.0, 47999.0, 48000.0, 48001.0, 96000.0, 192000.0};
constexpr int kNRates = sizeof kRates / sizeof kRates[0];

struct Engine {
  const char* file;
  int method;
  const char* what;
};
constexpr Engine kEngines[] = {
    {"ddsp_micro", RT_SYNTH_METHOD_SYNTH, "ddsp synth"},
    {"ddsp_micro", RT_SYNTH_METHOD_TRANSFER, "ddsp transfer"},
    {"rave_tiny", RT_SYNTH_METHOD_FORWARD, "rave forward"},
};
rt_synth_handle* g_handles[3][kNRates] = {};
bool g_ceiling_moved[3][kNRates] = {};  // the previous input on this handle set output_ceiling_db

uint32_t g_noise = 1;
float noise() {  // full-scale white noise in [-1, 1)
  g_noise = g_noise * 1664525u + 1013904223u;
  return static_cast<float>(static_cast<int32_t>(g_noise)) * (1.0f / 2147483648.0f);
}

void fill(rt_fuzz::Reader& r, float* x, int n, uint8_t kind, uint8_t amp_code, double rate, int64_t t0) {
  static const float kAmps[] = {1.f, 0.1f, 4.f, 16.f, 1e3f, 1e6f, 3e38f, 1e-39f};
  const float a = kAmps[amp_code % 8];
  switch (kind % 10) {
    case 0: std::fill(x, x + n, 0.f); break;
    case 1:  // sine, fuzzer-chosen frequency
      for (int i = 0; i < n; ++i)
        x[i] = a * static_cast<float>(std::sin(2.0 * M_PI * (20.0 + 40.0 * (amp_code >> 3)) * (t0 + i) / rate));
      break;
    case 2: for (int i = 0; i < n; ++i) x[i] = a * noise(); break;
    case 3:  // 12 kHz square (or Nyquist/2 if the rate is lower)
      for (int i = 0; i < n; ++i) x[i] = std::fmod((t0 + i) * std::min(12000.0, rate / 4) / rate, 1.0) < 0.5 ? a : -a;
      break;
    case 4: for (int i = 0; i < n; ++i) x[i] = ((t0 + i) & 1) ? 16.f : -16.f; break;
    case 5: for (int i = 0; i < n; ++i) x[i] = (i % 7 == 3) ? NAN : a * noise(); break;
    case 6: for (int i = 0; i < n; ++i) x[i] = (i & 1) ? INFINITY : -INFINITY; break;
    case 7: for (int i = 0; i < n; ++i) x[i] = ((t0 + i) & 2) ? 1e30f : -3.4e38f; break;
    case 8: for (int i = 0; i < n; ++i) x[i] = 1e-40f * noise(); break;
    default: for (int i = 0; i < n; ++i) x[i] = r.f32(); break;  // raw bits from the input
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (int e = 0; e < 3; ++e)
    for (int ri = 0; ri < kNRates; ++ri)
      g_handles[e][ri] = rt_fuzz::open_fixed(kEngines[e].file, kEngines[e].method, kRates[ri], kMaxBlock, kChannels);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<float> in(kMaxBlock * 2 + 1), out[kChannels];
  static std::vector<float> silence(2048, 0.f);
  static std::vector<float> big_out[kChannels];
  rt_fuzz::Reader r{data, size};
  const int e = r.u8() % 3, ri = r.u8() % kNRates;
  const Engine& eng = kEngines[e];
  const double rate = kRates[ri];
  rt_synth_handle* h = g_handles[e][ri];
  const int64_t max_samples = static_cast<int64_t>(kMaxModelSamplesPerInput * rate / 48000.0) + 1;
  for (auto& o : out) o.resize(kMaxBlock * 2 + 1);
  for (auto& o : big_out) o.resize(2048);
  rt_fuzz::defaults(h);
  rt_synth_reset(h);
  g_noise = 1;
  const int n_params = rt_synth_param_count(h);
  float max_ceiling = rt_fuzz::kCeiling;  // the highest ceiling output_ceiling_db can set
  for (int i = 0; i < n_params; ++i) {
    rt_synth_param_info pi;
    if (rt_synth_get_param_info(h, i, &pi) == RT_SYNTH_OK && rt_fuzz::is_ceiling(pi))
      max_ceiling = std::pow(10.f, pi.max / 20.f) * 1.0001f;
  }
  float ceiling = g_ceiling_moved[e][ri] ? max_ceiling : rt_fuzz::kCeiling;
  g_ceiling_moved[e][ri] = false;
  auto touched = [&](const rt_synth_param_info& pi) {
    if (rt_fuzz::is_ceiling(pi)) {
      ceiling = max_ceiling;
      g_ceiling_moved[e][ri] = true;
    }
  };
  int64_t t = 0;
  auto process = [&](const float* x, std::vector<float>* y, int n) {
    const float* ip[kChannels] = {x, x};
    float* op[kChannels] = {y[0].data(), y[1].data()};
    if (rt_synth_process(h, ip, op, n) != RT_SYNTH_OK) std::abort();
    for (int c = 0; c < kChannels; ++c) rt_fuzz::check_output(y[c].data(), n, eng.what, rate, ceiling);
    t += n;
  };
  while (!r.empty() && t < max_samples) {
    switch (r.u8() % 6) {
      case 0: {
        const int n = static_cast<int>(std::min<int64_t>(r.u16() % (2 * kMaxBlock + 1), max_samples - t));
        const uint8_t kind = r.u8(), amp = r.u8();
        fill(r, in.data(), n, kind, amp, rate, t);
        process(in.data(), out, n);
        break;
      }
      case 1: {
        const uint8_t i = r.u8();
        const float v = r.f32();
        rt_synth_param_info pi;
        if (n_params > 0 && rt_synth_get_param_info(h, i % n_params, &pi) == RT_SYNTH_OK) {
          touched(pi);
          const rt_synth_status st = rt_synth_set_param(h, pi.id, v);
          if (std::isnan(v) && st == RT_SYNTH_OK) std::abort();  // the header: NaN is refused
        }
        break;
      }
      case 2: {
        const uint8_t i = r.u8(), f = r.u8();
        rt_synth_param_info pi;
        if (n_params > 0 && rt_synth_get_param_info(h, i % n_params, &pi) == RT_SYNTH_OK) {
          touched(pi);
          rt_synth_set_param(h, pi.id, pi.min + (pi.max - pi.min) * (f / 255.f));
        }
        break;
      }
      case 3: rt_synth_reset(h); break;
      case 4: {
        const uint8_t m[3] = {r.u8(), r.u8(), r.u8()};
        rt_synth_send_midi(h, m, 3, r.u16());  // UNSUPPORTED on transfer: fine
        break;
      }
      default: process(silence.data(), big_out, static_cast<int>(std::min<int64_t>(2048, max_samples - t))); break;
    }
  }
  return 0;
}
