#include "format/metadata_checks.h"

#include <cmath>
#include <cstdio>

namespace rt_synth::metadata {

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string intRange(uint64_t lo, uint64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

// The value as the file holds it, for messages.
std::string shown(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8: case GgufType::kUint16: case GgufType::kUint32: case GgufType::kUint64: case GgufType::kBool:
      return std::to_string(v.u);
    case GgufType::kInt8: case GgufType::kInt16: case GgufType::kInt32: case GgufType::kInt64:
      return std::to_string(v.i);
    case GgufType::kFloat32: case GgufType::kFloat64: return num(v.f);
    case GgufType::kString: return "a string";
    case GgufType::kArray: return "an array";
  }
  return "?";
}

bool isInteger(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 || t == GgufType::kUint64 ||
         t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 || t == GgufType::kInt64;
}

Error missing(const ModelFile& f, const std::string& key, const std::string& range) {
  return make_error(ErrorCode::kMissingKey,
                    f.name() + ": missing key '" + key + "' (expected a value in " + range + ")");
}

}  // namespace

Error outOfRange(const ModelFile& f, const std::string& key, const std::string& value, const std::string& range) noexcept {
  try {
    return make_error(ErrorCode::kBadValue,
                      f.name() + ": " + key + " = " + value + " is outside its allowed range " + range);
  } catch (...) {
    return make_error(ErrorCode::kBadValue, "");
  }
}

Error readUint(const ModelFile& f, const std::string& key, uint64_t lo, uint64_t hi, uint64_t& out,
               bool required) noexcept {
  try {
    const GgufValue* v = f.find(key);
    if (!v) return required ? missing(f, key, intRange(lo, hi)) : Error::none();
    if (!isInteger(v->type))
      return make_error(ErrorCode::kWrongType, f.name() + ": " + key + " is " + shown(*v) + " (" +
                                                   gguf_type_name(v->type) + "), expected an integer in " +
                                                   intRange(lo, hi));
    const bool neg = (v->type == GgufType::kInt8 || v->type == GgufType::kInt16 || v->type == GgufType::kInt32 ||
                      v->type == GgufType::kInt64) && v->i < 0;
    const uint64_t u = neg ? 0 : (v->type == GgufType::kInt8 || v->type == GgufType::kInt16 ||
                                  v->type == GgufType::kInt32 || v->type == GgufType::kInt64)
                                     ? static_cast<uint64_t>(v->i)
                                     : v->u;
    if (neg || u < lo || u > hi) return outOfRange(f, key, shown(*v), intRange(lo, hi));
    out = u;
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "out of memory while reading metadata");
  }
}

Error readU32(const ModelFile& f, const std::string& key, uint32_t lo, uint32_t hi, uint32_t& out,
              bool required) noexcept {
  uint64_t u = out;
  if (Error e = readUint(f, key, lo, hi, u, required)) return e;
  out = static_cast<uint32_t>(u);
  return Error::none();
}

Error readInt(const ModelFile& f, const std::string& key, int lo, int hi, int& out, bool required) noexcept {
  if (lo < 0) return make_error(ErrorCode::kInvalidArgument, "readInt: negative lower bound");
  uint64_t u = out < 0 ? 0 : static_cast<uint64_t>(out);
  if (Error e = readUint(f, key, static_cast<uint64_t>(lo), static_cast<uint64_t>(hi), u, required)) return e;
  out = static_cast<int>(u);
  return Error::none();
}

Error readDouble(const ModelFile& f, const std::string& key, double lo, double hi, double& out,
                 bool required) noexcept {
  try {
    const std::string range = "[" + num(lo) + ", " + num(hi) + "]";
    const GgufValue* v = f.find(key);
    if (!v) return required ? missing(f, key, range) : Error::none();
    double d;
    if (v->type == GgufType::kFloat32 || v->type == GgufType::kFloat64) d = v->f;
    else if (v->type == GgufType::kUint8 || v->type == GgufType::kUint16 || v->type == GgufType::kUint32 ||
             v->type == GgufType::kUint64)
      d = static_cast<double>(v->u);
    else if (isInteger(v->type)) d = static_cast<double>(v->i);
    else
      return make_error(ErrorCode::kWrongType, f.name() + ": " + key + " is " + shown(*v) + " (" +
                                                   gguf_type_name(v->type) + "), expected a number in " + range);
    if (!(d >= lo && d <= hi)) return outOfRange(f, key, shown(*v), range);  // NaN fails here too
    out = d;
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "out of memory while reading metadata");
  }
}

Error readFloat(const ModelFile& f, const std::string& key, double lo, double hi, float& out,
                bool required) noexcept {
  double d = out;
  if (Error e = readDouble(f, key, lo, hi, d, required)) return e;
  out = static_cast<float>(d);
  return Error::none();
}

// An array of integers, each in [lo, hi], with a length in [min_len, max_len].
Error readIntArray(const ModelFile& f, const std::string& key, int lo, int hi, std::size_t min_len,
                   std::size_t max_len, std::vector<int>& out) noexcept {
  const GgufValue* v = f.find(key);
  if (!v) return make_error(ErrorCode::kMissingKey, f.name() + ": missing key '" + key + "'");
  if (v->type != GgufType::kArray || v->numbers.size() != v->array_count)
    return make_error(ErrorCode::kWrongType, f.name() + ": " + key + " must be an array of integers");
  const std::string at = f.name() + ": " + key + " ";
  if (v->numbers.size() < min_len || v->numbers.size() > max_len)
    return make_error(ErrorCode::kBadValue, at + "has " + std::to_string(v->numbers.size()) + " entries, expected " +
                                                std::to_string(min_len) + ".." + std::to_string(max_len));
  try {
    out.clear();
    for (double x : v->numbers) {
      if (!(x >= lo && x <= hi) || std::floor(x) != x)
        return make_error(ErrorCode::kBadValue, at + "has the entry " + std::to_string(x) + ", expected integers in [" +
                                                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
      out.push_back(static_cast<int>(x));
    }
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, f.name() + ": out of memory reading " + key);
  }
  return Error::none();
}

}  // namespace rt_synth::metadata
