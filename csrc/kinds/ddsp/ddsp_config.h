// Hyperparameters of a DDSP model as stored in the native model file (docs/model-format.md).
#pragma once
#include <cstdint>
#include <string>

#include "format/model_file.h"
#include "util/error.h"

namespace rt_synth {

struct DDSPConfig {
  static constexpr uint32_t kMaxFeatureDelay = 65536;  // 1.37 s at 48 kHz; 512 is the trained value
  static constexpr uint64_t kMaxParameters = uint64_t(1) << 40;

  std::string name;
  uint32_t sample_rate = 48000;
  uint32_t hop = 192;
  uint32_t latency_samples = 0;        // rt_synth.latency_samples: 0 (the control path has no delay)
  uint32_t feature_delay_samples = 0;  // rt_synth.feature_delay_samples: 0..kMaxFeatureDelay (optional)
  uint64_t parameters = 0;             // rt_synth.parameters: 0..kMaxParameters (optional, informational)
  uint32_t n_harmonics = 64;
  uint32_t n_noise_bands = 65;
  uint32_t hidden_size = 256;
  uint32_t gru_size = 384;
  uint32_t mlp_layers = 2;
  float f0_midi_mean = 60.f, f0_midi_std = 12.f;
  float loudness_mean = -40.f, loudness_std = 20.f;
  float f0_min_hz = 20.f, f0_max_hz = 4000.f;
  float loudness_min_db = -100.f, loudness_max_db = 0.f;

  int numOutputs() const { return 1 + static_cast<int>(n_harmonics + n_noise_bands); }
  int filterLength() const { return 2 * (static_cast<int>(n_noise_bands) - 1); }

  // Reads and range-checks every key; kind must be "ddsp". Messages name the file and key.
  static Error read(const ModelFile& file, DDSPConfig& out) noexcept;
};

}  // namespace rt_synth
