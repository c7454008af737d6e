#include "kinds/ddsp/ddsp_config.h"

#include <cmath>

#include "format/metadata_checks.h"

namespace rt_synth {

// Every key a DDSP model file carries, with its allowed range (docs/safety.md lists them).
Error DDSPConfig::read(const ModelFile& f, DDSPConfig& c) noexcept {
  using metadata::readFloat;
  using metadata::readU32;
  using metadata::readUint;
  try {
    std::string kind;
    if (Error e = f.get_string("rt_synth.kind", kind)) return e;
    if (kind != "ddsp")
      return make_error(ErrorCode::kUnsupported,
                        f.name() + ": rt_synth.kind is '" + kind + "', expected 'ddsp'");
    c.name = f.get_string_or("rt_synth.name", "");
    // Informational (not used by the core) but checked: a file that lies here is suspect.
    if (Error e = readUint(f, "rt_synth.parameters", 0, kMaxParameters, c.parameters, false)) return e;
    // The control path has no delay (docs/ddsp-maths.md §6): latency() is 0, so the file must say so.
    c.latency_samples = 0;
    if (Error e = readU32(f, "rt_synth.latency_samples", 0, 0, c.latency_samples, false)) return e;
    // Timbre transfer's training delay: latency = feature_delay + hop (both bounded, no overflow).
    c.feature_delay_samples = 0;
    if (Error e = readU32(f, "rt_synth.feature_delay_samples", 0, kMaxFeatureDelay, c.feature_delay_samples, false))
      return e;
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
    for (const U& u : us)
      if (Error e = readU32(f, u.key, u.lo, u.hi, *u.dst)) return e;
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
    for (const F& x : fs)
      if (Error e = readFloat(f, x.key, x.lo, x.hi, *x.dst)) return e;
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
