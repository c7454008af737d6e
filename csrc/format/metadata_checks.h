// Range-checked reads of model-file metadata: the helpers every config table
// (csrc/kinds/ddsp/ddsp_config.cpp, csrc/kinds/rave/rave_config.cpp) reads its keys with, so that each
// key's allowed range is written once, in its table, and every refusal names the file, the key,
// the value found and the allowed range (docs/safety.md lists the ranges).
// Optional keys (required = false) keep `out` when absent, but a present value is checked
// exactly like a required one: an unreadable or out-of-range optional key is refused, never
// silently replaced by a default.
#pragma once
#include <cstdint>
#include <cstddef>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "util/error.h"

namespace rt_synth::metadata {

// Any integer type whose value is in [lo, hi].
Error readUint(const ModelFile& f, const std::string& key, uint64_t lo, uint64_t hi, uint64_t& out,
               bool required = true) noexcept;
Error readU32(const ModelFile& f, const std::string& key, uint32_t lo, uint32_t hi, uint32_t& out,
              bool required = true) noexcept;
Error readInt(const ModelFile& f, const std::string& key, int lo, int hi, int& out, bool required = true) noexcept;
// A finite number (float or integer type) in [lo, hi].
Error readFloat(const ModelFile& f, const std::string& key, double lo, double hi, float& out,
                bool required = true) noexcept;
// The same, kept in double: for values the core must use exactly as the exporter computed them
// (written as float64 keys, e.g. the RAVE pitch source's range and constants).
Error readDouble(const ModelFile& f, const std::string& key, double lo, double hi, double& out,
                 bool required = true) noexcept;
// An array of integers, each in [lo, hi], with a length in [min_len, max_len].
Error readIntArray(const ModelFile& f, const std::string& key, int lo, int hi, std::size_t min_len,
                   std::size_t max_len, std::vector<int>& out) noexcept;
// "FILE: KEY = VALUE is outside its allowed range [lo, hi]" as kBadValue.
Error outOfRange(const ModelFile& f, const std::string& key, const std::string& value, const std::string& range) noexcept;

}  // namespace rt_synth::metadata
