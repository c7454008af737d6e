#pragma once
// ModelFile: reader for the native model file (GGUF v3 container, docs/model-format.md).
// Loads from a path or a memory buffer into one owned, 64-byte aligned buffer; every count,
// length and offset is checked against the buffer size with overflow-safe arithmetic,
// absurd counts are refused before anything is allocated, duplicates and non-finite weights
// are refused. Nothing throws out of this API: failures come back as an Error whose message
// names the file, the field and what was expected. Load at set-up time, not on the audio
// thread; the accessors below are cheap and allocation-free except get_string().
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

// GGUF value types (numbering of the GGUF spec).
enum class GgufType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
const char* gguf_type_name(GgufType t) noexcept;

// One metadata value. Scalars are widened into i/u/f; strings are copied; arrays of
// scalars are widened element-wise into `numbers` (as double) and arrays of strings into
// `strings`. Arrays of arrays are validated and counted but their items are not kept.
struct GgufValue {
  GgufType type = GgufType::kUint8;
  GgufType array_type = GgufType::kUint8;  // element type when type == kArray
  uint64_t u = 0;    // unsigned integer types and bool
  int64_t i = 0;     // signed integer types
  double f = 0.0;    // float types
  std::string s;
  uint64_t array_count = 0;
  std::vector<double> numbers;
  std::vector<std::string> strings;
};

// A float32 tensor inside the file's buffer; shape is row-major (PyTorch order).
struct TensorView {
  const float* data = nullptr;
  std::vector<int64_t> shape;
  int64_t numel = 0;
};

struct ModelFileLimits {
  uint64_t max_tensors = 1u << 16;
  uint64_t max_kvs = 1u << 16;
  uint64_t max_string = 1u << 20;       // bytes in one string
  uint64_t max_array = 1u << 24;        // elements in one array
  uint64_t max_file = uint64_t(1) << 32;  // 4 GiB
};

class ModelFile {
 public:
  static constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian
  static constexpr uint32_t kGgufVersion = 3;
  static constexpr uint32_t kDefaultAlignment = 32;

  // Reads and validates a whole file. On failure `out` is left empty.
  static Error load(const std::string& path, ModelFile& out, const ModelFileLimits& limits = {}) noexcept;
  // Same from memory (copied). `name` is used in messages.
  static Error from_memory(const void* data, std::size_t size, ModelFile& out, const std::string& name = "<memory>",
                           const ModelFileLimits& limits = {}) noexcept;

  const std::string& name() const noexcept { return name_; }
  uint32_t gguf_version() const noexcept { return gguf_version_; }
  uint32_t alignment() const noexcept { return alignment_; }
  uint32_t format_version() const noexcept { return format_version_; }

  // Metadata.
  bool has(const std::string& key) const noexcept { return kv_index_.count(key) != 0; }
  const GgufValue* find(const std::string& key) const noexcept;
  const std::vector<std::string>& keys() const noexcept { return keys_; }  // file order
  // Required getters: kMissingKey if absent, kWrongType/kBadValue if not representable.
  // get_u32/get_u64 accept any integer type whose value fits; get_f32 accepts f32/f64 (and
  // integers); get_string only strings.
  Error get_u32(const std::string& key, uint32_t& out) const noexcept;
  Error get_u64(const std::string& key, uint64_t& out) const noexcept;
  Error get_f32(const std::string& key, float& out) const noexcept;
  Error get_string(const std::string& key, std::string& out) const noexcept;
  // Optional getters: the default when the key is absent or unreadable.
  uint32_t get_u32_or(const std::string& key, uint32_t def) const noexcept;
  float get_f32_or(const std::string& key, float def) const noexcept;
  std::string get_string_or(const std::string& key, const std::string& def) const noexcept;

  // Tensors.
  bool has_tensor(const std::string& name) const noexcept { return tensor_index_.count(name) != 0; }
  const std::vector<std::string>& tensor_names() const noexcept { return tensor_names_; }  // file order
  const TensorView* find_tensor(const std::string& name) const noexcept;
  // kMissingKey if absent, kBadShape if its shape differs from expected_shape (row-major).
  Error tensor(const std::string& name, const std::vector<int64_t>& expected_shape, TensorView& out) const noexcept;

 private:
  friend class GgufParser;
  std::string name_;
  AlignedBuffer<uint8_t> buffer_;
  uint32_t gguf_version_ = 0, alignment_ = kDefaultAlignment, format_version_ = 0;
  std::vector<std::string> keys_;
  std::vector<GgufValue> values_;
  std::unordered_map<std::string, std::size_t> kv_index_;
  std::vector<std::string> tensor_names_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, std::size_t> tensor_index_;
};

// "[2, 3]" for messages.
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace rt_synth
