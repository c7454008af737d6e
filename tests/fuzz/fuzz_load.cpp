// libFuzzer harness: model loading from memory through the C ABI, every kind and method.
// The input is a model file (seeds: corpus/load, one tiny model per kind). It is opened with
// rt_synth_open_memory as transfer (ddsp: transfer, rave: forward) and, by kind, as synth
// (ddsp) or encode and decode (rave). A refused file must leave *out NULL and a non-empty
// message; an accepted one must answer every metadata getter, report a latency >= 0 after
// prepare at 48 and 44.1 kHz, and play a few blocks with finite output within |y| <= 1.
#include <cstring>
#include <vector>

#include "fuzz_common.h"

namespace {

using rt_fuzz::check_output;

constexpr int kMaxBlock = 256;

void query_metadata(const rt_synth_handle* h) {
  volatile size_t sink = 0;
  sink += std::strlen(rt_synth_kind(h)) + std::strlen(rt_synth_name(h));
  sink += static_cast<size_t>(rt_synth_model_sample_rate(h)) + static_cast<size_t>(rt_synth_hop(h));
  const int nm = rt_synth_metadata_count(h);
  for (int i = 0; i < nm; ++i) {
    const char* k = rt_synth_metadata_key(h, i);
    if (!k) std::abort();  // in range: must exist
    const char* v = rt_synth_metadata_value(h, k);
    if (!v) std::abort();
    sink += std::strlen(v);
  }
  if (rt_synth_metadata_key(h, nm) != nullptr || rt_synth_metadata_key(h, -1) != nullptr) std::abort();
  for (int i = 0; i < rt_synth_method_count(h); ++i) {
    rt_synth_method_info mi;
    if (rt_synth_get_method_info(h, i, &mi) == RT_SYNTH_OK) sink += std::strlen(mi.name) + std::strlen(mi.description);
  }
  for (int i = 0; i < rt_synth_param_count(h); ++i) {
    rt_synth_param_info pi;
    if (rt_synth_get_param_info(h, i, &pi) != RT_SYNTH_OK) std::abort();
    if (!(pi.min <= pi.def && pi.def <= pi.max)) {
      std::fprintf(stderr, "fuzz_load: parameter %s default %g outside [%g, %g]\n", pi.name, pi.def, pi.min, pi.max);
      std::abort();
    }
    if (rt_synth_find_param(h, pi.name) != pi.id) std::abort();
  }
}

// Plays `blocks` blocks of a fixed input (a 220 Hz tone, one NaN) through an audio method.
void play_audio(rt_synth_handle* h, double rate, const char* what) {
  if (rt_synth_prepare(h, rate, kMaxBlock, 1) != RT_SYNTH_OK) return;  // refused rate: fine
  if (rt_synth_latency(h) < 0) {
    std::fprintf(stderr, "fuzz_load: %s at %g Hz reports latency %d\n", what, rate, rt_synth_latency(h));
    std::abort();
  }
  std::vector<float> in(kMaxBlock), out(kMaxBlock);
  const float* ip[1] = {in.data()};
  float* op[1] = {out.data()};
  for (int b = 0; b < 8; ++b) {
    const int n = b == 3 ? 1 : (b * 37) % kMaxBlock + 1;
    for (int i = 0; i < n; ++i) in[i] = 0.5f * std::sin(0.0288f * static_cast<float>(b * kMaxBlock + i));
    if (b == 5) in[0] = NAN;
    if (rt_synth_process(h, ip, op, n) != RT_SYNTH_OK) std::abort();
    check_output(out.data(), n, what, rate);
  }
}

void play_synth(rt_synth_handle* h) {
  if (rt_synth_prepare(h, 44100.0, kMaxBlock, 1) != RT_SYNTH_OK) return;
  if (rt_synth_latency(h) < 0) std::abort();
  std::vector<float> out(kMaxBlock);
  float* op[1] = {out.data()};
  const uint8_t on[3] = {0x90, 60, 100}, off[3] = {0x80, 60, 0};
  rt_synth_send_midi(h, on, 3, 0);
  for (int b = 0; b < 8; ++b) {
    if (b == 6) rt_synth_send_midi(h, off, 3, 10);
    if (rt_synth_process(h, nullptr, op, kMaxBlock) != RT_SYNTH_OK) std::abort();
    check_output(out.data(), kMaxBlock, "ddsp synth (loaded)", 44100.0);
  }
}

// Encode then decode at the model's rate, n = a multiple of the ratio.
void play_codec(rt_synth_handle* enc, rt_synth_handle* dec) {
  const double sr = rt_synth_model_sample_rate(enc);
  const int r = rt_synth_hop(enc);
  if (r < 1 || r > 4096) return;
  const int block = r * 2;
  if (rt_synth_prepare(enc, sr, block, 1) != RT_SYNTH_OK || rt_synth_prepare(dec, sr, block, 1) != RT_SYNTH_OK) return;
  rt_synth_method_info mi;
  if (rt_synth_get_method_info(enc, 1, &mi) != RT_SYNTH_OK) return;  // encode: out_channels = latent size
  const int d = mi.out_channels;
  if (d < 1 || d > 1024) return;
  std::vector<float> audio(block), back(block);
  std::vector<std::vector<float>> z(d, std::vector<float>(2));
  std::vector<float*> zp;
  std::vector<const float*> zc;
  for (auto& v : z) {
    zp.push_back(v.data());
    zc.push_back(v.data());
  }
  for (int i = 0; i < block; ++i) audio[i] = 0.5f * std::sin(0.05f * static_cast<float>(i));
  const float* ip[1] = {audio.data()};
  float* op[1] = {back.data()};
  for (int b = 0; b < 3; ++b) {
    // Latents are not audio (no safety stage): whatever encode gives, decode must bound it.
    if (rt_synth_process(enc, ip, zp.data(), block) != RT_SYNTH_OK) std::abort();
    if (rt_synth_process(dec, zc.data(), op, block) != RT_SYNTH_OK) std::abort();
    check_output(back.data(), block, "rave decode (loaded)", sr);
  }
}

rt_synth_handle* open(const uint8_t* data, size_t size, int method) {
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = method;
  opt.max_voices = 4;
  rt_synth_handle* h = reinterpret_cast<rt_synth_handle*>(0x1);
  const rt_synth_status st = rt_synth_open_memory(data, size, "fuzz.rtsynth", &opt, &h);
  if (st != RT_SYNTH_OK) {
    if (h != nullptr) std::abort();                    // failure leaves *out NULL
    if (rt_synth_last_error()[0] == 0) std::abort();   // and says why
    return nullptr;
  }
  if (!h) std::abort();
  query_metadata(h);
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rt_synth_handle* h = open(data, size, RT_SYNTH_METHOD_TRANSFER);
  if (!h) return 0;
  const bool rave = std::strcmp(rt_synth_kind(h), "rave") == 0;
  play_audio(h, 48000.0, rave ? "rave forward (loaded)" : "ddsp transfer (loaded)");
  play_audio(h, 44100.0, rave ? "rave forward (loaded)" : "ddsp transfer (loaded)");
  rt_synth_close(h);
  if (rave) {
    rt_synth_handle* enc = open(data, size, RT_SYNTH_METHOD_ENCODE);
    rt_synth_handle* dec = open(data, size, RT_SYNTH_METHOD_DECODE);
    if (enc && dec) play_codec(enc, dec);
    rt_synth_close(enc);
    rt_synth_close(dec);
  } else if (rt_synth_handle* s = open(data, size, RT_SYNTH_METHOD_SYNTH)) {
    play_synth(s);
    rt_synth_close(s);
  }
  return 0;
}
