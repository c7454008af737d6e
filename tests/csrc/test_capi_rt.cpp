// The C ABI on the audio path: zero heap allocations inside rt_synth_process (and in
// rt_synth_send_midi / set_param / reset), counted by the shared harness (alloc_counter.cpp)
// around calls made through the C functions of csrc/capi/rt_synth.h, for every method at the
// model's rate and (synth, transfer) at 44.1 kHz through the resampling adapter, over >= 1000
// random-size blocks with garbage MIDI and NaN/Inf input sprinkled in; output finite.
// Also: corrupt model bytes (truncations, bit flips) are refused with a message, no crash.
// With a second (rave) model: forward at 48 and 44.1 kHz with MIDI CCs and latent params
// (and, with a pitch source, the synth method: notes through RaveSynth at 48 and 44.1 kHz),
// encode and decode at the model's rate (blocks = random multiples of the ratio), same counts.
// Usage: test_capi_rt MODEL.rtsynth [RAVE.rtsynth]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "alloc_counter.h"
#include "rt_synth.h"
#include "test_common.h"

namespace {

void run_method(const std::vector<unsigned char>& bytes, int method, double rate, int channels) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = method;
  opt.max_voices = 8;
  rt_synth_handle* h = nullptr;
  rt_synth_status st = rt_synth_open_memory(bytes.data(), bytes.size(), "model", &opt, &h);
  CHECK(st == RT_SYNTH_OK && h, "open method %d: %s", method, rt_synth_last_error());
  if (!h) return;
  const int max_block = 512;
  st = rt_synth_prepare(h, rate, max_block, channels);
  if (method == RT_SYNTH_METHOD_CONTROLS && rate != 48000.0) {
    CHECK(st == RT_SYNTH_ERR_UNSUPPORTED, "controls at %g Hz must be unsupported", rate);
    rt_synth_close(h);
    return;
  }
  CHECK(st == RT_SYNTH_OK, "prepare method %d at %g: %s", method, rate, rt_synth_last_error());
  std::vector<std::vector<float>> in(std::max(2, channels), std::vector<float>(max_block)),
      out(channels, std::vector<float>(max_block));
  std::vector<const float*> ip;
  std::vector<float*> op;
  for (auto& v : in) ip.push_back(v.data());
  for (auto& v : out) op.push_back(v.data());
  std::mt19937 rng(1234 + method);
  std::uniform_int_distribution<int> blk(1, max_block), byte(0, 255), note(40, 90);
  std::normal_distribution<float> noise(0.f, 0.1f);
  const int n_params = rt_synth_param_count(h);
  int64_t allocs = 0, blocks = 0;
  bool finite = true;
  double t = 0;
  for (int b = 0; b < 1200; ++b) {
    const int n = (b % 7 == 0) ? 1 : blk(rng);
    for (int i = 0; i < n; ++i, ++t) {
      const float s = 0.3f * std::sin(2 * M_PI * 220.0 * t / rate) + noise(rng);
      for (int c = 0; c < channels; ++c) in[c][i] = s;
      if (method == RT_SYNTH_METHOD_CONTROLS) {
        in[0][i] = 220.f + 100.f * std::sin(t * 1e-4);
        in[1][i] = -30.f + 10.f * std::sin(t * 3e-5);
      }
    }
    if (b % 97 == 5) in[0][n / 2] = NAN;
    if (b % 89 == 7) in[0][0] = INFINITY;
    const int64_t a0 = rt_test::allocation_count();
    if (method == RT_SYNTH_METHOD_SYNTH) {
      const uint8_t on[3] = {0x90, static_cast<uint8_t>(note(rng)), 100};
      const uint8_t off[3] = {0x80, on[1], 0};
      rt_synth_send_midi(h, on, 3, 0);
      if (b % 3 == 0) rt_synth_send_midi(h, off, 3, n / 2);
      if (b % 50 == 0) {
        uint8_t junk[16];
        for (auto& j : junk) j = static_cast<uint8_t>(byte(rng));
        rt_synth_send_midi(h, junk, 16, 3);
      }
    }
    if (method == RT_SYNTH_METHOD_FORWARD) {  // latent controls by MIDI CC / bend / resets
      const uint8_t cc[3] = {static_cast<uint8_t>(0xB0 | (b & 15)), static_cast<uint8_t>(b % 3 == 0 ? 1 : 16 + b % 4),
                             static_cast<uint8_t>(byte(rng) & 127)};
      rt_synth_send_midi(h, cc, 3, 0);
      if (b % 40 == 0) {
        const uint8_t more[6] = {0xE0, 0x10, static_cast<uint8_t>(b & 127), 0xB0, static_cast<uint8_t>(b % 80 == 0 ? 121 : 123), 0};
        rt_synth_send_midi(h, more, 6, 0);
      }
    }
    if (n_params > 0 && b % 10 == 0) {
      rt_synth_param_info pi;
      rt_synth_get_param_info(h, b / 10 % n_params, &pi);
      float v = 0;
      rt_synth_get_param(h, pi.id, &v);
      // an effect's gains and knobs move while it plays (a knob change re-warms the WaveNet's
      // history at the next block after a reset: on the audio thread, without allocating)
      const bool effect = std::strcmp(rt_synth_kind(h), "effect") == 0;
      const float u = static_cast<float>(byte(rng)) / 255.f;
      rt_synth_set_param(h, pi.id, effect ? pi.min + u * (pi.max - pi.min) : pi.def);
    }
    if (b == 600) rt_synth_reset(h);
    st = rt_synth_process(h, ip.data(), op.data(), n);
    allocs += rt_test::allocation_count() - a0;
    ++blocks;
    CHECK(st == RT_SYNTH_OK, "process status %d", st);
    for (int c = 0; c < channels; ++c)
      for (int i = 0; i < n; ++i) finite = finite && std::isfinite(out[c][i]);
    for (int c = 1; c < channels; ++c)
      CHECK(std::memcmp(out[0].data(), out[c].data(), sizeof(float) * n) == 0, "channel %d differs", c);
  }
  CHECK(allocs == 0, "method %d at %g Hz: %lld allocations in %lld blocks", method, rate, (long long)allocs,
        (long long)blocks);
  CHECK(finite, "method %d at %g Hz: non-finite output", method, rate);
  std::printf("method %d at %g Hz, %d ch: %lld blocks, %lld allocations, latency %d\n", method, rate, channels,
              (long long)blocks, (long long)allocs, rt_synth_latency(h));
  rt_synth_close(h);
}

void run_rave_codec(const std::vector<unsigned char>& bytes) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  rt_synth_handle *enc = nullptr, *dec = nullptr;
  opt.method = RT_SYNTH_METHOD_ENCODE;
  CHECK(rt_synth_open_memory(bytes.data(), bytes.size(), "rave", &opt, &enc) == RT_SYNTH_OK, "open encode: %s",
        rt_synth_last_error());
  opt.method = RT_SYNTH_METHOD_DECODE;
  CHECK(rt_synth_open_memory(bytes.data(), bytes.size(), "rave", &opt, &dec) == RT_SYNTH_OK, "open decode: %s",
        rt_synth_last_error());
  if (!enc || !dec) return;
  rt_synth_method_info mi;
  rt_synth_get_method_info(enc, 1, &mi);
  const int R = rt_synth_hop(enc), D = mi.out_channels, max_block = 512;
  CHECK(D > 0 && mi.out_ratio == R, "encode info");
  CHECK(rt_synth_prepare(enc, 44100, max_block, 1) == RT_SYNTH_ERR_UNSUPPORTED, "encode at 44.1 kHz must be unsupported");
  CHECK(rt_synth_prepare(enc, 48000, max_block, 1) == RT_SYNTH_OK && rt_synth_prepare(dec, 48000, max_block, 1) == RT_SYNTH_OK,
        "prepare codec: %s", rt_synth_last_error());
  std::vector<float> x(max_block), y(max_block);
  std::vector<std::vector<float>> u(D, std::vector<float>(max_block / R));
  std::vector<float*> up;
  for (auto& v : u) up.push_back(v.data());
  const float* xin[1] = {x.data()};
  float* yout[1] = {y.data()};
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> frames(1, max_block / R);
  int64_t allocs = 0, blocks = 0;
  bool finite = true, ok = true;
  double t = 0;
  for (int b = 0; b < 1200; ++b) {
    const int n = frames(rng) * R;
    for (int i = 0; i < n; ++i, ++t) x[i] = 0.3f * std::sin(2 * M_PI * 220.0 * t / 48000.0);
    if (b % 97 == 5) x[n / 2] = NAN;
    const int64_t a0 = rt_test::allocation_count();
    ok = rt_synth_process(enc, xin, up.data(), n) == RT_SYNTH_OK && ok;
    ok = rt_synth_process(dec, const_cast<const float* const*>(up.data()), yout, n) == RT_SYNTH_OK && ok;
    if (b == 600) { rt_synth_reset(enc); rt_synth_reset(dec); }
    allocs += rt_test::allocation_count() - a0;
    ++blocks;
    for (int i = 0; i < n; ++i) finite = finite && std::isfinite(y[i]);
  }
  CHECK(ok, "codec process status");
  CHECK(rt_synth_process(enc, xin, up.data(), R + 1) == RT_SYNTH_ERR_INVALID_ARGUMENT, "n not a multiple of R");
  CHECK(allocs == 0 && finite, "codec: %lld allocations, finite %d", (long long)allocs, finite);
  std::printf("rave encode+decode at 48000 Hz: %lld blocks, %lld allocations\n", (long long)blocks, (long long)allocs);
  rt_synth_close(enc);
  rt_synth_close(dec);
}

void corrupt_models(const std::vector<unsigned char>& bytes, int method = RT_SYNTH_METHOD_SYNTH) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = method;
  std::mt19937 rng(7);
  int refused = 0, total = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<unsigned char> b = bytes;
    if (trial % 3 == 0) {
      b.resize(std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng));
    } else {
      std::uniform_int_distribution<size_t> pos(0, std::min<size_t>(b.size() - 1, trial % 2 ? 4096 : b.size() - 1));
      for (int k = 0; k < 1 + trial % 5; ++k) b[pos(rng)] ^= static_cast<unsigned char>(1u << (rng() % 8));
    }
    rt_synth_handle* h = nullptr;
    const rt_synth_status st = rt_synth_open_memory(b.data(), b.size(), "corrupt", &opt, &h);
    ++total;
    if (st != RT_SYNTH_OK) {
      ++refused;
      CHECK(h == nullptr, "failed open left a handle");
      CHECK(std::strlen(rt_synth_last_error()) > 0, "failed open without a message");
    } else {
      // A flip in a weight's low bits can leave a valid model: it must still play safely.
      CHECK(rt_synth_prepare(h, 48000, 64, 1) == RT_SYNTH_OK, "prepare of accepted mutant");
      float buf[64];
      float* o[1] = {buf};
      const uint8_t on[3] = {0x90, 60, 100};
      rt_synth_send_midi(h, on, 3, 0);
      for (int i = 0; i < 10; ++i) rt_synth_process(h, nullptr, o, 64);
      rt_synth_close(h);
    }
  }
  std::printf("corrupt models: %d of %d refused with a message, the rest played safely\n", refused, total);
  CHECK(refused > total / 3, "too few corrupt files refused (%d of %d)", refused, total);
  rt_synth_handle* h = nullptr;
  CHECK(rt_synth_open_file("/nonexistent/model.rtsynth", nullptr, &h) == RT_SYNTH_ERR_IO, "missing file");
  CHECK(std::strstr(rt_synth_last_error(), "/nonexistent/model.rtsynth") != nullptr, "message names the file: %s",
        rt_synth_last_error());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_capi_rt MODEL.rtsynth\n");
    return 2;
  }
  const std::vector<unsigned char> bytes = read_all(argv[1]);
  CHECK(!bytes.empty(), "cannot read %s", argv[1]);
  if (bytes.empty()) return finish("capi_rt");
  CHECK(rt_synth_abi_version() == RT_SYNTH_ABI_VERSION, "ABI version");
  for (int method : {RT_SYNTH_METHOD_SYNTH, RT_SYNTH_METHOD_TRANSFER, RT_SYNTH_METHOD_CONTROLS}) {
    run_method(bytes, method, 48000.0, method == RT_SYNTH_METHOD_CONTROLS ? 1 : 2);
    run_method(bytes, method, 44100.0, 1);
  }
  corrupt_models(bytes);
  if (argc >= 3) {
    const std::vector<unsigned char> rave = read_all(argv[2]);
    CHECK(!rave.empty(), "cannot read %s", argv[2]);
    if (!rave.empty()) {
      run_method(rave, RT_SYNTH_METHOD_FORWARD, 48000.0, 2);
      run_method(rave, RT_SYNTH_METHOD_FORWARD, 44100.0, 1);
      run_rave_codec(rave);
      // A pitched model also plays from MIDI (method synth, RaveSynth); one without a pitch
      // source refuses it.
      rt_synth_options fo;
      rt_synth_options_init(&fo);
      fo.method = RT_SYNTH_METHOD_FORWARD;
      rt_synth_handle* h = nullptr;
      bool pitched = false;
      if (rt_synth_open_memory(rave.data(), rave.size(), "rave", &fo, &h) == RT_SYNTH_OK && h) {
        pitched = rt_synth_method_count(h) == 4;
        rt_synth_close(h);
        h = nullptr;
      }
      if (pitched) {
        run_method(rave, RT_SYNTH_METHOD_SYNTH, 48000.0, 2);
        run_method(rave, RT_SYNTH_METHOD_SYNTH, 44100.0, 1);
      } else {
        CHECK(rt_synth_open_memory(rave.data(), rave.size(), "rave", nullptr, &h) == RT_SYNTH_ERR_UNSUPPORTED && !h,
              "rave without a pitch source: the synth method must be unsupported");
      }
      CHECK(rt_synth_open_memory(bytes.data(), bytes.size(), "ddsp", nullptr, &h) == RT_SYNTH_OK && h, "ddsp reopen");
      rt_synth_close(h);
    }
  }
  if (argc >= 4) {  // an effect model: forward (and its alias transfer) at the model's rate and 44.1 kHz
    const std::vector<unsigned char> fx = read_all(argv[3]);
    CHECK(!fx.empty(), "cannot read %s", argv[3]);
    if (!fx.empty()) {
      run_method(fx, RT_SYNTH_METHOD_FORWARD, 48000.0, 2);
      run_method(fx, RT_SYNTH_METHOD_FORWARD, 44100.0, 1);
      run_method(fx, RT_SYNTH_METHOD_TRANSFER, 96000.0, 1);
      rt_synth_handle* h = nullptr;
      CHECK(rt_synth_open_memory(fx.data(), fx.size(), "effect", nullptr, &h) == RT_SYNTH_ERR_UNSUPPORTED && !h,
            "effect: the synth method must be unsupported");
      corrupt_models(fx, RT_SYNTH_METHOD_FORWARD);
    }
  }
  return finish("capi_rt");
}
