// libFuzzer harness: raw MIDI bytes with sample offsets into the synth (and into RAVE
// forward's CC map), through rt_synth_send_midi, between process() calls of fuzzer-chosen
// sizes. Input: [target] then chunks [len][offset i16 LE][len bytes]; len 0 runs one block
// of `offset mod 1024` samples, len 255 sends a negative length (must be refused). target:
// 0 ddsp synth 48 kHz, 1 ddsp synth 44.1 kHz, 2 rave forward 48 kHz. Every output sample
// finite and |y| <= 1. Handles are opened once per target and reset for each input.
#include <vector>

#include "fuzz_common.h"

namespace {

constexpr int kMaxBlock = 512;
constexpr int kMaxSamplesPerInput = 1 << 15;  // keeps one input fast

struct Target {
  const char* file;
  int method;
  double rate;
  const char* what;
  rt_synth_handle* h;
};

Target g_targets[] = {
    {"ddsp_micro", RT_SYNTH_METHOD_SYNTH, 48000.0, "ddsp synth", nullptr},
    {"ddsp_micro", RT_SYNTH_METHOD_SYNTH, 44100.0, "ddsp synth", nullptr},
    {"rave_tiny", RT_SYNTH_METHOD_FORWARD, 48000.0, "rave forward", nullptr},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<float> in(kMaxBlock * 2, 0.f), out(kMaxBlock * 2);
  rt_fuzz::Reader r{data, size};
  Target& t = g_targets[r.u8() % 3];
  if (!t.h) t.h = rt_fuzz::open_fixed(t.file, t.method, t.rate, kMaxBlock, 1);
  rt_synth_handle* h = t.h;
  rt_fuzz::defaults(h);
  rt_synth_reset(h);
  const float* ip[1] = {in.data()};
  float* op[1] = {out.data()};
  int total = 0;
  auto run = [&](int n) {
    for (int i = 0; i < n; ++i) in[i] = 0.25f * std::sin(0.03f * static_cast<float>(total + i));
    if (rt_synth_process(h, ip, op, n) != RT_SYNTH_OK) std::abort();
    rt_fuzz::check_output(out.data(), n, t.what, t.rate);
    total += n;
  };
  while (!r.empty() && total < kMaxSamplesPerInput) {
    const uint8_t len = r.u8();
    const int32_t offset = static_cast<int16_t>(r.u16());
    if (len == 0) {
      run(static_cast<int>(static_cast<uint32_t>(offset) % 1024u));
      continue;
    }
    if (len == 255) {
      const uint8_t b[1] = {0x90};
      if (rt_synth_send_midi(h, b, -1, offset) == RT_SYNTH_OK) std::abort();  // negative length refused
      continue;
    }
    uint8_t bytes[254];
    int k = 0;
    while (k < len && !r.empty()) bytes[k++] = r.u8();
    rt_synth_send_midi(h, bytes, k, offset);  // QUEUE_FULL / INVALID_ARGUMENT are fine
  }
  run(kMaxBlock);  // everything sent takes effect within a block or two
  run(kMaxBlock);
  // All notes off + silence so the next input starts clean after its reset.
  const uint8_t all_off[3] = {0xB0, 123, 0};
  rt_synth_send_midi(h, all_off, 3, 0);
  return 0;
}
