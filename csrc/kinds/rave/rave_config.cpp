#include "kinds/rave/rave_config.h"

#include <cmath>
#include <cstdio>

#include "format/metadata_checks.h"

namespace rt_synth {

namespace {

Error bad(const ModelFile& f, const std::string& key, const std::string& what) {
  return make_error(ErrorCode::kBadValue, f.name() + ": " + key + " " + what);
}

using metadata::readDouble;
using metadata::readFloat;
using metadata::readInt;
using metadata::readU32;
using metadata::readIntArray;
using metadata::readUint;

int product(const std::vector<int>& v) {
  long long p = 1;
  for (int x : v) p *= x;
  return p > (1 << 20) ? (1 << 20) + 1 : static_cast<int>(p);
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The pitch source's keys: all optional together (rt_synth.rave.pitch_source absent or 0 = no
// pitch source); with pitch_source = 1 every one is required, and the range must give the
// streaming YIN a usable lag range at this sample rate (the rules of StreamingYin::prepare).
Error readPitchSource(const ModelFile& f, RaveConfig& c) {
  const std::string p = "rt_synth.rave.pitch_";
  int on = 0;
  if (Error e = readInt(f, p + "source", 0, 1, on, false)) return e;
  c.pitch_source = on != 0;
  if (!c.pitch_source) return Error::none();
  const double sr = c.sample_rate;
  if (Error e = readDouble(f, p + "f0_min", 1.0, sr / 2, c.pitch_f0_min)) return e;
  if (Error e = readDouble(f, p + "f0_max", 1.0, sr / 2, c.pitch_f0_max)) return e;
  if (!(c.pitch_f0_max > c.pitch_f0_min))
    return bad(f, p + "f0_max", "= " + num(c.pitch_f0_max) + " Hz, expected a value above pitch_f0_min = " +
                                    num(c.pitch_f0_min) + " Hz");
  const double tau_max = std::ceil(sr / c.pitch_f0_min), tau_min = std::floor(sr / c.pitch_f0_max);
  if (tau_max > RaveConfig::kMaxPitchWindow)
    return bad(f, p + "f0_min", "= " + num(c.pitch_f0_min) + " Hz needs a " + num(tau_max) +
                                    "-sample tracker window at " + std::to_string(c.sample_rate) + " Hz, expected f0_min >= " +
                                    num(sr / RaveConfig::kMaxPitchWindow) + " Hz (a window of at most " +
                                    std::to_string(RaveConfig::kMaxPitchWindow) + " samples)");
  if (tau_min < 2)
    return bad(f, p + "f0_max", "= " + num(c.pitch_f0_max) + " Hz, expected at most SR/2 = " + num(sr / 2) +
                                    " Hz (the tracker's shortest lag is 2 samples)");
  if (tau_max < tau_min + 2)
    return bad(f, p + "f0_max", "= " + num(c.pitch_f0_max) + " Hz: the range " + num(c.pitch_f0_min) + ".." +
                                    num(c.pitch_f0_max) + " Hz is too narrow for the tracker (lags " + num(tau_min) +
                                    ".." + num(tau_max) + "), expected ceil(SR/f0_min) >= floor(SR/f0_max) + 2");
  if (Error e = readDouble(f, p + "threshold", 1e-6, 1.0, c.pitch_threshold)) return e;
  if (Error e = readDouble(f, p + "harmonic_limit", 1e-6, 0.5, c.pitch_harmonic_limit)) return e;
  if (Error e = readDouble(f, p + "gate_low", 0.0, 1.0, c.pitch_gate_low)) return e;
  if (Error e = readDouble(f, p + "gate_high", 0.0, 1.0, c.pitch_gate_high)) return e;
  if (!(c.pitch_gate_high > c.pitch_gate_low))
    return bad(f, p + "gate_high", "= " + num(c.pitch_gate_high) + ", expected a value above pitch_gate_low = " +
                                       num(c.pitch_gate_low));
  return readDouble(f, p + "level", 0.0, 10.0, c.pitch_level);
}

// The harmonic head's keys: optional together; a head needs the pitch source (its phase, ramp
// and gate).
Error readHarmonicHead(const ModelFile& f, RaveConfig& c) {
  const std::string p = "rt_synth.rave.harmonic";
  if (Error e = readInt(f, p + "s", 0, RaveConfig::kMaxHarmonics, c.harmonics, false)) return e;
  if (c.harmonics == 0) return Error::none();
  if (!c.pitch_source)
    return bad(f, p + "s", "= " + std::to_string(c.harmonics) +
                               ", but the file has no pitch source (rt_synth.rave.pitch_source), which the "
                               "harmonic head needs");
  if (Error e = readInt(f, p + "_channels", 1, 4096, c.harmonic_channels)) return e;
  int with_f0 = 0;
  if (Error e = readInt(f, p + "_f0", 0, 1, with_f0, false)) return e;
  c.harmonic_f0 = with_f0 != 0;
  int with_latent = 1, with_loudness = 0, with_noise = 0;
  if (Error e = readInt(f, p + "_latent", 0, 1, with_latent, false)) return e;
  if (Error e = readInt(f, p + "_loudness", 0, 1, with_loudness, false)) return e;
  if (Error e = readInt(f, p + "_layers", 1, RaveConfig::kMaxHarmonicLayers, c.harmonic_layers, false)) return e;
  if (Error e = readInt(f, p + "_noise", 0, 1, with_noise, false)) return e;
  c.harmonic_latent = with_latent != 0;
  c.harmonic_loudness = with_loudness != 0;
  c.harmonic_noise = with_noise != 0;
  if (!c.harmonic_latent && !c.harmonic_f0)
    return bad(f, p + "_latent", "= 0 (the head does not read the latent), but rt_synth.rave.harmonic_f0 is not 1: "
                                 "expected a head that reads the f0 when it does not read the latent");
  if (c.harmonic_loudness) {
    const std::string l = "rt_synth.rave.loudness_";
    if (Error e = readDouble(f, l + "floor_db", -400.0, -1.0, c.loudness_floor_db)) return e;
    if (Error e = readDouble(f, l + "max", 0.01, 100.0, c.loudness_max)) return e;
  }
  return Error::none();
}

}  // namespace

int RaveConfig::encoderRatio() const noexcept { return product(encoder_strides); }

Error RaveConfig::read(const ModelFile& f, RaveConfig& c) noexcept {
  try {
    std::string kind;
    if (Error e = f.get_string("rt_synth.kind", kind)) return e;
    if (kind != "rave")
      return make_error(ErrorCode::kUnsupported, f.name() + ": rt_synth.kind is '" + kind + "', expected 'rave'");
    c.name = f.get_string_or("rt_synth.name", "");
    // Informational keys (not used by the core) are checked too: a file that lies there is suspect.
    if (Error e = readUint(f, "rt_synth.parameters", 0, kMaxParameters, c.parameters, false)) return e;
    // A measurement (rt-synth export --measure): on an untrained model the onset estimate can
    // come out negative, so only its magnitude is bounded.
    if (Error e = readFloat(f, "rt_synth.rave.measured_latency_samples", -1.0 * kMaxLatency, kMaxLatency,
                            c.measured_latency_samples, false))
      return e;
    if (Error e = readFloat(f, "rt_synth.rave.heldout_distance", 0.0, 1e6, c.heldout_distance, false)) return e;
    if (Error e = readU32(f, "rt_synth.sample_rate", 8000, 384000, c.sample_rate)) return e;
    // Exact values are checked against the structure below; these bounds come first so that
    // no arithmetic ever sees an absurd value.
    if (Error e = readU32(f, "rt_synth.hop", 1, 1u << 20, c.ratio)) return e;
    if (Error e = readU32(f, "rt_synth.latency_samples", 0, kMaxLatency, c.latency_samples)) return e;
    const std::string p = "rt_synth.rave.";
    if (Error e = readInt(f, p + "n_bands", 1, 512, c.n_bands)) return e;
    if (Error e = readInt(f, p + "pqmf_taps", 1, 8192, c.pqmf_taps)) return e;
    if (c.pqmf_taps < c.n_bands)
      return bad(f, p + "pqmf_taps", "must be >= n_bands (" + std::to_string(c.n_bands) + ")");
    if (Error e = readFloat(f, p + "pqmf_beta", 0.0, 100.0, c.pqmf_beta)) return e;
    if (Error e = readInt(f, p + "latent_size", 1, 1024, c.latent_size)) return e;
    if (Error e = readIntArray(f, p + "encoder_strides", 1, 64, 0, 16, c.encoder_strides)) return e;
    if (Error e = readIntArray(f, p + "encoder_channels", 1, 4096, 1, 17, c.encoder_channels)) return e;
    if (c.encoder_channels.size() != c.encoder_strides.size() + 1)
      return bad(f, p + "encoder_channels", "needs one entry more than encoder_strides");
    if (Error e = readIntArray(f, p + "decoder_strides", 1, 64, 0, 16, c.decoder_strides)) return e;
    if (Error e = readIntArray(f, p + "decoder_channels", 1, 4096, 1, 17, c.decoder_channels)) return e;
    if (c.decoder_channels.size() != c.decoder_strides.size() + 1)
      return bad(f, p + "decoder_channels", "needs one entry more than decoder_strides");
    if (Error e = readIntArray(f, p + "dilations", 1, 4096, 0, 16, c.dilations)) return e;
    if (Error e = readInt(f, p + "kernel", 1, 64, c.kernel)) return e;
    int noise = 0;
    if (Error e = readInt(f, p + "noise", 0, 1, noise)) return e;
    c.noise = noise != 0;
    if (Error e = readU32(f, p + "noise_seed", 0, 0xffffffffu, c.noise_seed)) return e;
    if (Error e = readFloat(f, p + "leaky_slope", 0.0, 1.0, c.leaky_slope)) return e;
    if (Error e = readDouble(f, p + "decoder_gate_floor", 0.0, 0.999999, c.decoder_gate_floor, false)) return e;
    if (Error e = readDouble(f, p + "decoder_dc_block_hz", 0.0, c.sample_rate / (4.0 * c.n_bands),
                             c.decoder_dc_block_hz, false))
      return e;
    if (Error e = readFloat(f, p + "input_gain", 1e-6, 1e6, c.input_gain)) return e;
    if (Error e = readInt(f, "rt_synth.control.latent_count", 1, c.latent_size, c.latent_count)) return e;
    if (Error e = readFloat(f, "rt_synth.control.latent_offset_range", 0.0, 1e3, c.latent_offset_range)) return e;
    if (Error e = readFloat(f, "rt_synth.control.latent_scale_max", 0.0, 1e3, c.latent_scale_max)) return e;

    // Derived quantities must agree with what the file states.
    const int re = c.encoderRatio();
    if (re > 65536) return bad(f, p + "encoder_strides", "multiply to more than 65536");
    if (product(c.decoder_strides) != re)
      return bad(f, p + "decoder_strides", "multiply to " + std::to_string(product(c.decoder_strides)) +
                                               " but the encoder strides to " + std::to_string(re));
    const long long ratio = static_cast<long long>(c.n_bands) * re;
    if (c.ratio != ratio)
      return bad(f, "rt_synth.hop", "= " + std::to_string(c.ratio) + ", expected n_bands × encoder ratio = " +
                                        std::to_string(ratio));
    if (Error e = readInt(f, p + "band_delay_frames", 0, 65536, c.band_delay_frames)) return e;
    if (c.band_delay_frames != re - 1)
      return bad(f, p + "band_delay_frames", "= " + std::to_string(c.band_delay_frames) + ", expected R_e − 1 = " +
                                                 std::to_string(re - 1));
    const long long lat = (c.pqmf_taps - 1) + static_cast<long long>(re - 1) * c.n_bands;
    if (c.latency_samples != lat)
      return bad(f, "rt_synth.latency_samples", "= " + std::to_string(c.latency_samples) +
                                                    ", expected (N−1) + (R_e−1)·M = " + std::to_string(lat));
    if (Error e = readPitchSource(f, c)) return e;
    return readHarmonicHead(f, c);
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "out of memory while reading the RAVE configuration");
  }
}

}  // namespace rt_synth
