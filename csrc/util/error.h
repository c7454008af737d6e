#pragma once
// Status codes and error values shared by the model-file reader and the layers.
// Nothing here throws: functions that can fail return an Error (code + message).
#include <string>

namespace rt_synth {

enum class ErrorCode {
  kOk = 0,
  kIoError,       // file could not be opened / read
  kBadMagic,      // not a GGUF file
  kBadVersion,    // GGUF container version or rt_synth.format_version unsupported
  kTruncated,     // a count, length or offset points past the end of the data
  kBadValue,      // a value is out of range or malformed (type id, alignment, ...)
  kTooLarge,      // an absurd count / size, rejected before allocating
  kDuplicate,     // a key or tensor name appears twice
  kMissingKey,    // a required key or tensor is absent
  kWrongType,     // a key exists with a type that cannot be read as requested
  kBadShape,      // a tensor has a shape other than the expected one
  kNonFinite,     // a weight is NaN or Inf
  kUnsupported,   // a valid GGUF feature this build does not read (e.g. a quantised tensor)
  kInvalidArgument,  // a layer was given inconsistent sizes
};

const char* error_code_name(ErrorCode code) noexcept;  // "kBadMagic": for logs of developers only
// What a user reads: the kind of failure in plain words, e.g. "not an rt-synth model file (bad
// magic)", or "" where the message says it all (i/o errors, invalid arguments).
const char* error_code_text(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kOk;
  std::string message;

  bool ok() const noexcept { return code == ErrorCode::kOk; }
  explicit operator bool() const noexcept { return !ok(); }  // true when there IS an error
  static Error none() { return {}; }
};

// "<plain kind>: <message>" (or the message alone): the text every binding and the C ABI show.
std::string error_message(const Error& e);

// Builds an Error; never throws (on allocation failure the message is left empty).
Error make_error(ErrorCode code, const std::string& message) noexcept;

}  // namespace rt_synth
