// Hyperparameters of a RAVE-style model as stored in the native model file
// (docs/model-format.md "RAVE", docs/rave.md). Every value that shapes the network is read
// and range-checked here; the layer builders then check every tensor shape against it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "util/error.h"

namespace rt_synth {

struct RaveConfig {
  static constexpr uint64_t kMaxParameters = uint64_t(1) << 40;
  static constexpr uint32_t kMaxLatency = 1u << 20;  // samples (21.8 s at 48 kHz)

  std::string name;
  uint32_t sample_rate = 48000;
  uint32_t ratio = 0;            // rt_synth.hop: audio samples per latent frame, R = M·R_e
  uint32_t latency_samples = 0;  // L = (N−1) + (R_e−1)·M, the delay the model was trained with
  uint64_t parameters = 0;                // optional, informational, 0..kMaxParameters
  float measured_latency_samples = 0.f;   // optional (rt_synth.rave.measured_latency_samples), informational
  float heldout_distance = -1.f;          // optional (rt_synth.rave.heldout_distance), -1: absent
  int n_bands = 0;     // M
  int pqmf_taps = 0;   // N
  float pqmf_beta = 0.f;
  int latent_size = 0;  // D
  std::vector<int> encoder_channels, encoder_strides;
  std::vector<int> decoder_channels, decoder_strides;
  std::vector<int> dilations;
  int kernel = 3;
  bool noise = false;
  uint32_t noise_seed = 0;
  float leaky_slope = 0.2f;
  // rt_synth.rave.decoder_gate_floor (optional f64, [0, 1), absent = 0): the decoder's output
  // gate is f + (1 − f)·sigmoid(amp) (rt_synth/kinds/rave/model/decoder.py)
  double decoder_gate_floor = 0.0;
  // rt_synth.rave.decoder_dc_block_hz (optional f64, [0, sample_rate / (4·n_bands)], absent = 0):
  // the gated waveform bands pass a one-pole DC blocker of this cutoff at the band rate before
  // the noise (rt_synth/kinds/rave/model/band_dc_blocker.py)
  double decoder_dc_block_hz = 0.0;
  int band_delay_frames = 0;
  float input_gain = 1.f;
  int latent_count = 0;
  float latent_offset_range = 3.f;
  float latent_scale_max = 2.f;
  // Pitch source (docs/rave.md "Pitch source", csrc/kinds/rave/rave_pitch_source.h): optional keys,
  // absent = none (files written before it load unchanged). Read in double from float64 keys:
  // the tracker's lag range and the excitation's harmonic count must come out exactly as in
  // PyTorch.
  bool pitch_source = false;
  double pitch_f0_min = 0.0, pitch_f0_max = 0.0;  // the causal YIN's range, Hz
  double pitch_threshold = 0.15;                  // YIN absolute threshold
  double pitch_harmonic_limit = 0.45;  // harmonics below limit·SR
  double pitch_gate_low = 0.5, pitch_gate_high = 0.85;  // periodicity → gate 0..1
  double pitch_level = 0.1;            // RMS of the voiced excitation
  static constexpr int kMaxPitchWindow = 8192;  // YIN window = ceil(SR / f0_min) samples
  // Harmonic head (docs/rave.md "Harmonic head", csrc/kinds/rave/rave_harmonic_head.h): optional
  // keys rt_synth.rave.harmonics (H, 0 or absent = none; needs the pitch source) and
  // rt_synth.rave.harmonic_channels (C), and the optional keys of the DDSP-style head below.
  int harmonics = 0;
  int harmonic_channels = 0;
  bool harmonic_f0 = false;  // rt_synth.rave.harmonic_f0: the head also reads f0 and periodicity
  // DDSP-style head (docs/rave.md §13; optional keys, absent = the defaults below):
  bool harmonic_latent = true;     // rt_synth.rave.harmonic_latent: the head reads z
  bool harmonic_loudness = false;  // rt_synth.rave.harmonic_loudness: it reads the input's loudness
  int harmonic_layers = 1;         // rt_synth.rave.harmonic_layers: the conv + (L − 1) hidden 1×1
  bool harmonic_noise = false;     // rt_synth.rave.harmonic_noise: M more outputs, per-band noise gains
  // The loudness feature (pitch_source.loudness_feature): the tracker window's mean square in dB,
  // (dB − floor)/(−floor) clamped to [0, max]. float64 keys, required with harmonic_loudness.
  double loudness_floor_db = -100.0;  // rt_synth.rave.loudness_floor_db
  double loudness_max = 1.2;          // rt_synth.rave.loudness_max
  static constexpr int kMaxHarmonics = 1024;
  static constexpr int kMaxHarmonicLayers = 16;
  // The head's input channels: (D if harmonic_latent) + (2 if harmonic_f0) + (1 if loudness).
  int harmonicInputs() const noexcept {
    return (harmonic_latent ? latent_size : 0) + (harmonic_f0 ? 2 : 0) + (harmonic_loudness ? 1 : 0);
  }

  int encoderRatio() const noexcept;  // R_e, product of the encoder strides
  int headChannels() const noexcept { return (noise ? 3 : 2) * n_bands; }

  // Reads and checks every key; kind must be "rave". Messages name the file and the key.
  static Error read(const ModelFile& file, RaveConfig& out) noexcept;
};

}  // namespace rt_synth
