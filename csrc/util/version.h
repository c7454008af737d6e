#pragma once
// Library version and the native model-file format version this build reads.
namespace rt_synth {
constexpr const char* kVersion = "0.1.0";
constexpr unsigned kFormatVersion = 1;
const char* version();
}  // namespace rt_synth
