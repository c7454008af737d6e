// Shared by the libFuzzer harnesses of tests/fuzz (docs/fuzzing.md): a byte reader that
// consumes the fuzzer's input from the front (so seeds stay readable and 0 past the end), the
// fixed models of the MIDI and process harnesses (the committed seeds in corpus/load, path
// compiled in as RT_FUZZ_CORPUS_DIR) and the output check: every sample finite and within the
// safety stage's ceiling, else abort with the sample, its value and the harness's context.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rt_synth.h"

#ifndef RT_FUZZ_CORPUS_DIR
#error "RT_FUZZ_CORPUS_DIR must name tests/fuzz/corpus (set by tests/fuzz/CMakeLists.txt)"
#endif

namespace rt_fuzz {

// The output bound every path promises (design.md rule 5: |y| <= 1 unless the user raises it
// with the output_ceiling_db parameter, docs/safety.md). Only fuzz_process moves that
// parameter, and then checks against the highest ceiling it can be set to.
constexpr float kCeiling = 1.0f;
constexpr const char* kCeilingParam = "output_ceiling_db";
inline bool is_ceiling(const rt_synth_param_info& pi) { return std::strcmp(pi.name, kCeilingParam) == 0; }

struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t u8() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  float f32() {  // any bit pattern: NaN, Inf, denormals, huge
    const uint32_t b = u32();
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  }
};

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::vector<uint8_t> v;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "fuzz: cannot open %s (run python3 tests/fuzz/make_seeds.py)\n", path.c_str());
    std::abort();
  }
  uint8_t buf[65536];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + k);
  std::fclose(f);
  return v;
}

inline std::string model_path(const char* file) { return std::string(RT_FUZZ_CORPUS_DIR) + "/load/" + file; }

// Opens one of the fixed models with `method`, prepared at `rate`; aborts when it cannot
// (the harness would fuzz nothing).
inline rt_synth_handle* open_fixed(const char* file, int method, double rate, int max_block, int channels) {
  static std::vector<uint8_t> ddsp = read_file(model_path("ddsp_micro.rtsynth"));
  static std::vector<uint8_t> rave = read_file(model_path("rave_tiny.rtsynth"));
  const std::vector<uint8_t>& bytes = std::strstr(file, "rave") ? rave : ddsp;
  rt_synth_options opt;
  rt_synth_options_init(&opt);
  opt.method = method;
  opt.max_voices = 8;
  rt_synth_handle* h = nullptr;
  if (rt_synth_open_memory(bytes.data(), bytes.size(), file, &opt, &h) != RT_SYNTH_OK ||
      rt_synth_prepare(h, rate, max_block, channels) != RT_SYNTH_OK) {
    std::fprintf(stderr, "fuzz: cannot open/prepare %s method %d at %g Hz: %s\n", file, method, rate,
                 rt_synth_last_error());
    std::abort();
  }
  return h;
}

// Every sample finite and |y| <= ceiling, else abort (libFuzzer saves the input as a crash).
inline void check_output(const float* y, int n, const char* what, double rate, float ceiling = kCeiling) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(y[i]) || std::fabs(y[i]) > ceiling) {
      std::fprintf(stderr, "fuzz: %s at %g Hz: output sample %d of %d is %g (must be finite, |y| <= %g)\n", what,
                   rate, i, n, static_cast<double>(y[i]), static_cast<double>(ceiling));
      std::abort();
    }
  }
}

// Puts every parameter back to its default (a previous input may have moved it).
inline void defaults(rt_synth_handle* h) {
  const int n = rt_synth_param_count(h);
  for (int i = 0; i < n; ++i) {
    rt_synth_param_info pi;
    if (rt_synth_get_param_info(h, i, &pi) == RT_SYNTH_OK) rt_synth_set_param(h, pi.id, pi.def);
  }
}

}  // namespace rt_fuzz
