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
  int band_delay_frames = 0;
  float input_gain = 1.f;
  int latent_count = 0;
  float latent_offset_range = 3.f;
  float latent_scale_max = 2.f;
  // Pitch source (docs/rave.md "Pitch source", csrc/models/rave_pitch_source.h): optional keys,
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
  // Harmonic head (docs/rave.md "Harmonic head", csrc/models/rave_harmonic_head.h): optional
  // keys rt_synth.rave.harmonics (H, 0 or absent = none; needs the pitch source) and
  // rt_synth.rave.harmonic_channels (C).
  int harmonics = 0;
  int harmonic_channels = 0;
  bool harmonic_f0 = false;  // rt_synth.rave.harmonic_f0: the head also reads f0 and periodicity
  static constexpr int kMaxHarmonics = 1024;

  int encoderRatio() const noexcept;  // R_e, product of the encoder strides
  int headChannels() const noexcept { return (noise ? 3 : 2) * n_bands; }

  // Reads and checks every key; kind must be "rave". Messages name the file and the key.
  static Error read(const ModelFile& file, RaveConfig& out) noexcept;
};

}  // namespace rt_synth
