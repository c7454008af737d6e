#pragma once
// Library version and the native model-file format version this build reads.
namespace rt_synth {
constexpr const char* kVersion = "0.1.0";
// newest format version read; files of versions kOldestFormatVersion..kFormatVersion load.
// Version 2 marks RAVE files with keys a version-1 core would skip (rt_synth/kinds/rave/export/native.py).
constexpr unsigned kFormatVersion = 2;
constexpr unsigned kOldestFormatVersion = 1;
const char* version();
}  // namespace rt_synth
