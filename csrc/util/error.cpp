#include "util/error.h"

namespace rt_synth {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk: return "kOk";
    case ErrorCode::kIoError: return "kIoError";
    case ErrorCode::kBadMagic: return "kBadMagic";
    case ErrorCode::kBadVersion: return "kBadVersion";
    case ErrorCode::kTruncated: return "kTruncated";
    case ErrorCode::kBadValue: return "kBadValue";
    case ErrorCode::kTooLarge: return "kTooLarge";
    case ErrorCode::kDuplicate: return "kDuplicate";
    case ErrorCode::kMissingKey: return "kMissingKey";
    case ErrorCode::kWrongType: return "kWrongType";
    case ErrorCode::kBadShape: return "kBadShape";
    case ErrorCode::kNonFinite: return "kNonFinite";
    case ErrorCode::kUnsupported: return "kUnsupported";
    case ErrorCode::kInvalidArgument: return "kInvalidArgument";
  }
  return "kUnknown";
}

const char* error_code_text(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk: return "";
    case ErrorCode::kIoError: return "";
    case ErrorCode::kBadMagic: return "not an rt-synth model file (bad magic)";
    case ErrorCode::kBadVersion: return "unsupported model file version";
    case ErrorCode::kTruncated: return "truncated or corrupt model file";
    case ErrorCode::kBadValue: return "bad value in the model file";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kDuplicate: return "corrupt model file (an entry appears twice)";
    case ErrorCode::kMissingKey: return "incomplete model file (an entry is missing)";
    case ErrorCode::kWrongType: return "bad model file (an entry has the wrong type)";
    case ErrorCode::kBadShape: return "model file inconsistent (a tensor has the wrong shape)";
    case ErrorCode::kNonFinite: return "corrupt model file (NaN or Inf)";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInvalidArgument: return "";
  }
  return "";
}

std::string error_message(const Error& e) {
  const char* t = error_code_text(e.code);
  if (!*t) return e.message;
  return std::string(t) + ": " + e.message;
}

Error make_error(ErrorCode code, const std::string& message) noexcept {
  Error e;
  e.code = code;
  try {
    e.message = message;
  } catch (...) {
  }
  return e;
}

}  // namespace rt_synth
