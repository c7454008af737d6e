// Parameter ids of the synth engine, with their ranges and defaults. setParam(id, value)
// clamps to the range; values reach the audio thread through the engine's event queue.
#pragma once

namespace rt_synth::synth {

enum class Param : int {
  kOutputGainDb = 0,     // output gain before the limiter, dB
  kAttackS,              // ADSR attack, s
  kDecayS,               // ADSR decay, s
  kSustain,              // ADSR sustain level, linear amplitude 0..1
  kReleaseS,             // ADSR release, s
  kGlideS,               // legato glide time (log-frequency, time constant), s
  kVibratoRateHz,        // vibrato LFO rate, Hz
  kVibratoDepthCents,    // vibrato depth at full mod wheel, cents
  kBendRangeSemitones,   // pitch-bend range (±), semitones
  kLegato,               // 0 = polyphonic, 1 = monophonic legato with glide
  kPolyphony,            // voices in use, 1..max_voices
  kLoudnessOffsetDb,     // added to every voice's loudness control, dB
  kVelocitySensitivity,  // 0 = every note at the model's mean loudness .. 1 = ±1.5 std
  kTransposeSemitones,   // added to every note
  kLimiterCeilingDb,     // limiter ceiling, dBFS
  kModWheel,             // 0..1 (CC1 by default): vibrato depth = this × kVibratoDepthCents
  kExpression,           // 0..1 (CC11 by default): loudness offset 40·(x − 1) dB
  kCount
};

struct ParamInfo {
  const char* name;
  float min, max, def;
};

inline const ParamInfo& paramInfo(Param p) noexcept {
  static const ParamInfo kInfo[static_cast<int>(Param::kCount)] = {
      {"output_gain_db", -60.f, 12.f, 0.f},
      {"attack_s", 0.0005f, 10.f, 0.01f},
      {"decay_s", 0.001f, 10.f, 0.25f},
      {"sustain", 0.f, 1.f, 0.8f},
      {"release_s", 0.005f, 20.f, 0.3f},
      {"glide_s", 0.f, 5.f, 0.05f},
      {"vibrato_rate_hz", 0.1f, 20.f, 5.5f},
      {"vibrato_depth_cents", 0.f, 200.f, 50.f},
      {"bend_range_semitones", 0.f, 48.f, 2.f},
      {"legato", 0.f, 1.f, 0.f},
      {"polyphony", 1.f, 32.f, 32.f},
      {"loudness_offset_db", -60.f, 20.f, 0.f},
      {"velocity_sensitivity", 0.f, 1.f, 1.f},
      {"transpose_semitones", -48.f, 48.f, 0.f},
      {"limiter_ceiling_db", -24.f, 0.f, -1.f},
      {"mod_wheel", 0.f, 1.f, 0.f},
      {"expression", 0.f, 1.f, 1.f},
  };
  return kInfo[static_cast<int>(p)];
}

}  // namespace rt_synth::synth
