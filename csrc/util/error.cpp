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
