#include "models/ddsp_config.h"

#include <cmath>

namespace rt_synth {

namespace {

Error checkRange(const ModelFile& f, const char* key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    return make_error(ErrorCode::kBadValue, f.name() + ": " + key + " = " + std::to_string(v) +
                                                " is outside [" + std::to_string(lo) + ", " +
                                                std::to_string(hi) + "]");
  return Error::none();
}

}  // namespace

Error DDSPConfig::read(const ModelFile& f, DDSPConfig& c) noexcept {
  try {
    std::string kind;
    if (Error e = f.get_string("rt_synth.kind", kind)) return e;
    if (kind != "ddsp")
      return make_error(ErrorCode::kUnsupported,
                        f.name() + ": rt_synth.kind is '" + kind + "', expected 'ddsp'");
    c.name = f.get_string_or("rt_synth.name", "");
    c.latency_samples = f.get_u32_or("rt_synth.latency_samples", 0);
    uint64_t params = 0;
    if (!f.get_u64("rt_synth.parameters", params)) c.parameters = params;
    struct U { const char* key; uint32_t* dst; uint32_t lo, hi; };
    const U us[] = {
        {"rt_synth.sample_rate", &c.sample_rate, 8000, 384000},
        {"rt_synth.hop", &c.hop, 1, 65536},
        {"rt_synth.ddsp.n_harmonics", &c.n_harmonics, 1, 1024},
        {"rt_synth.ddsp.n_noise_bands", &c.n_noise_bands, 2, 4097},
        {"rt_synth.ddsp.hidden_size", &c.hidden_size, 1, 8192},
        {"rt_synth.ddsp.gru_size", &c.gru_size, 1, 8192},
        {"rt_synth.ddsp.mlp_layers", &c.mlp_layers, 1, 64},
    };
    for (const U& u : us) {
      if (Error e = f.get_u32(u.key, *u.dst)) return e;
      if (Error e = checkRange(f, u.key, *u.dst, u.lo, u.hi)) return e;
    }
    struct F { const char* key; float* dst; double lo, hi; };
    const F fs[] = {
        {"rt_synth.ddsp.f0_midi_mean", &c.f0_midi_mean, -1e6, 1e6},
        {"rt_synth.ddsp.f0_midi_std", &c.f0_midi_std, 1e-6, 1e6},
        {"rt_synth.ddsp.loudness_mean", &c.loudness_mean, -1e6, 1e6},
        {"rt_synth.ddsp.loudness_std", &c.loudness_std, 1e-6, 1e6},
        {"rt_synth.control.f0_min_hz", &c.f0_min_hz, 1e-3, 1e6},
        {"rt_synth.control.f0_max_hz", &c.f0_max_hz, 1e-3, 1e6},
        {"rt_synth.control.loudness_min_db", &c.loudness_min_db, -1e4, 1e4},
        {"rt_synth.control.loudness_max_db", &c.loudness_max_db, -1e4, 1e4},
    };
    for (const F& x : fs) {
      if (Error e = f.get_f32(x.key, *x.dst)) return e;
      if (Error e = checkRange(f, x.key, *x.dst, x.lo, x.hi)) return e;
    }
    if (!(c.f0_min_hz < c.f0_max_hz))
      return make_error(ErrorCode::kBadValue, f.name() + ": rt_synth.control.f0_min_hz must be < f0_max_hz");
    if (!(c.loudness_min_db < c.loudness_max_db))
      return make_error(ErrorCode::kBadValue,
                        f.name() + ": rt_synth.control.loudness_min_db must be < loudness_max_db");
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kBadValue, "out of memory while reading the DDSP configuration");
  }
}

}  // namespace rt_synth
