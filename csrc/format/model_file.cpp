#include "format/model_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#if defined(_WIN32)
#include <filesystem>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "util/version.h"

namespace rt_synth {

const char* gguf_type_name(GgufType t) noexcept {
  switch (t) {
    case GgufType::kUint8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUint16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUint32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return "unknown";
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

// Internal: load errors are thrown as LoadFailure inside the parser and caught at the
// public boundary (ModelFile::from_memory / load), which is noexcept.
struct LoadFailure {
  Error error;
};

[[noreturn]] void fail(ErrorCode code, const std::string& msg) { throw LoadFailure{make_error(code, msg)}; }

std::size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    default: return 0;
  }
}

bool known_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

// File-supplied text quoted in a message: printable ASCII kept, other bytes as \xNN, cut at
// 80 bytes, so a hostile name cannot make the message invalid UTF-8 or huge.
std::string quoted(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string r;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      r += static_cast<char>(c);
    } else {
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    }
  }
  if (s.size() > 80) r += "...";
  return r;
}

bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0, n = s.size();
  while (i < n) {
    const unsigned char c = p[i];
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n || (len == 2 && c < 0xc2)) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((p[i + k] & 0xc0) != 0x80) return false;
    if (c == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace

class GgufParser {
 public:
  GgufParser(ModelFile& f, const ModelFileLimits& lim)
      : f_(f), lim_(lim), p_(f.buffer_.data()), size_(f.buffer_.size()) {}

  void parse() {
    const uint32_t magic = u32("magic");
    if (magic != ModelFile::kGgufMagic) {
      char got[5] = {0, 0, 0, 0, 0};
      std::memcpy(got, p_, 4);
      for (char& c : got)
        if (c && (c < 32 || c > 126)) c = '?';
      fail(ErrorCode::kBadMagic, where() + "not a GGUF file: magic is \"" + std::string(got) +
                                     "\", expected \"GGUF\" (is this an .rtsynth model file?)");
    }
    f_.gguf_version_ = u32("version");
    if (f_.gguf_version_ != ModelFile::kGgufVersion)
      fail(ErrorCode::kBadVersion, where() + "GGUF container version " + std::to_string(f_.gguf_version_) +
                                       ", this build reads version 3");
    const uint64_t n_tensors = u64("tensor_count");
    const uint64_t n_kv = u64("kv_count");
    // Refuse absurd counts before allocating: each KV needs >= 13 bytes (8 key length + 4
    // type + 1 value), each tensor info >= 32 bytes (8 + 4 + 8 + 4 + 8).
    if (n_kv > lim_.max_kvs || n_kv > remaining() / 13)
      fail(n_kv > lim_.max_kvs ? ErrorCode::kTooLarge : ErrorCode::kTruncated,
           where() + "kv_count " + std::to_string(n_kv) + " is impossible for a file of " + std::to_string(size_) +
               " bytes (limit " + std::to_string(lim_.max_kvs) + ")");
    if (n_tensors > lim_.max_tensors || n_tensors > remaining() / 32)
      fail(n_tensors > lim_.max_tensors ? ErrorCode::kTooLarge : ErrorCode::kTruncated,
           where() + "tensor_count " + std::to_string(n_tensors) + " is impossible for a file of " +
               std::to_string(size_) + " bytes (limit " + std::to_string(lim_.max_tensors) + ")");

    f_.keys_.reserve(n_kv);
    f_.values_.reserve(n_kv);
    for (uint64_t k = 0; k < n_kv; ++k) {
      std::string key = str("key of metadata entry " + std::to_string(k));
      if (key.empty() || !valid_utf8(key))
        fail(ErrorCode::kBadValue, where() + "metadata entry " + std::to_string(k) + " has an empty or non-UTF-8 key '" +
                                       quoted(key) + "'");
      if (f_.kv_index_.count(key)) fail(ErrorCode::kDuplicate, where() + "metadata key '" + key + "' appears twice");
      const uint32_t t = u32("type of '" + key + "'");
      GgufValue v = value(t, key, 0);
      f_.kv_index_.emplace(key, f_.values_.size());
      f_.keys_.push_back(std::move(key));
      f_.values_.push_back(std::move(v));
    }

    // Alignment (general.alignment, u32, a power of two).
    if (const GgufValue* a = f_.find("general.alignment")) {
      if (a->type != GgufType::kUint32)
        fail(ErrorCode::kWrongType, where() + "'general.alignment' is " + gguf_type_name(a->type) + ", expected uint32");
      if (a->u == 0 || (a->u & (a->u - 1)) != 0 || a->u > 65536)
        fail(ErrorCode::kBadValue, where() + "'general.alignment' is " + std::to_string(a->u) +
                                       ", expected a power of two between 1 and 65536");
      f_.alignment_ = static_cast<uint32_t>(a->u);
    }

    struct Info {
      std::string name;
      std::vector<int64_t> shape;
      uint64_t offset, bytes;
    };
    std::vector<Info> infos;
    infos.reserve(n_tensors);
    for (uint64_t t = 0; t < n_tensors; ++t) {
      Info in;
      in.name = str("name of tensor " + std::to_string(t));
      if (in.name.empty() || !valid_utf8(in.name))
        fail(ErrorCode::kBadValue, where() + "tensor " + std::to_string(t) + " has an empty or non-UTF-8 name '" +
                                       quoted(in.name) + "'");
      if (f_.tensor_index_.count(in.name)) fail(ErrorCode::kDuplicate, where() + "tensor '" + in.name + "' appears twice");
      const uint32_t n_dims = u32("n_dims of tensor '" + in.name + "'");
      if (n_dims == 0 || n_dims > 4)
        fail(ErrorCode::kBadShape, where() + "tensor '" + in.name + "' has " + std::to_string(n_dims) +
                                       " dimensions, expected 1 to 4");
      uint64_t numel = 1;
      std::vector<int64_t> ggml_dims(n_dims);
      for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t dim = u64("dimension " + std::to_string(d) + " of tensor '" + in.name + "'");
        if (dim == 0 || dim > (uint64_t(1) << 32) || numel > (uint64_t(1) << 40) / dim)
          fail(ErrorCode::kBadShape, where() + "tensor '" + in.name + "' dimension " + std::to_string(d) + " is " +
                                         std::to_string(dim) + ", expected 1..2^32 with fewer than 2^40 elements");
        numel *= dim;
        ggml_dims[d] = static_cast<int64_t>(dim);
      }
      in.shape.assign(ggml_dims.rbegin(), ggml_dims.rend());  // GGML innermost-first → row-major
      const uint32_t type = u32("type of tensor '" + in.name + "'");
      if (type != 0)
        fail(ErrorCode::kUnsupported, where() + "tensor '" + in.name + "' has ggml type " + std::to_string(type) +
                                          ", this build reads only 0 (F32)");
      in.offset = u64("offset of tensor '" + in.name + "'");
      if (in.offset % f_.alignment_ != 0)
        fail(ErrorCode::kBadValue, where() + "tensor '" + in.name + "' offset " + std::to_string(in.offset) +
                                       " is not a multiple of the alignment " + std::to_string(f_.alignment_));
      in.bytes = numel * 4;
      f_.tensor_index_.emplace(in.name, infos.size());
      infos.push_back(std::move(in));
    }

    // Tensor data starts at the next multiple of the alignment.
    const uint64_t a = f_.alignment_;
    const uint64_t data_start = (pos_ + a - 1) / a * a;
    if (data_start > size_ && n_tensors > 0)
      fail(ErrorCode::kTruncated, where() + "file ends at byte " + std::to_string(size_) +
                                      " before the tensor data, which starts at byte " + std::to_string(data_start));
    const uint64_t data_size = data_start <= size_ ? size_ - data_start : 0;

    // Bounds, overlap and finiteness.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    ranges.reserve(infos.size());
    for (const Info& in : infos) {
      if (in.offset > data_size || in.bytes > data_size - in.offset)
        fail(ErrorCode::kTruncated, where() + "tensor '" + in.name + "' (" + shape_to_string(in.shape) + ", " +
                                        std::to_string(in.bytes) + " bytes at data offset " + std::to_string(in.offset) +
                                        ") extends past the end of the file (" + std::to_string(data_size) +
                                        " bytes of tensor data)");
      ranges.emplace_back(in.offset, in.offset + in.bytes);
    }
    std::vector<std::size_t> order(ranges.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return ranges[x].first < ranges[y].first; });
    for (std::size_t i = 1; i < order.size(); ++i)
      if (ranges[order[i]].first < ranges[order[i - 1]].second)
        fail(ErrorCode::kBadValue, where() + "tensors '" + infos[order[i - 1]].name + "' and '" + infos[order[i]].name +
                                       "' overlap in the data section");

    f_.tensors_.reserve(infos.size());
    f_.tensor_names_.reserve(infos.size());
    for (Info& in : infos) {
      TensorView tv;
      tv.data = reinterpret_cast<const float*>(p_ + data_start + in.offset);  // aligned: buffer is 64-aligned
      tv.numel = static_cast<int64_t>(in.bytes / 4);
      for (int64_t e = 0; e < tv.numel; ++e)
        if (!std::isfinite(tv.data[e])) {
          const std::vector<int64_t>& sh = in.shape;
          // Name the element by its row-major index for the message.
          std::string idx;
          int64_t rem = e;
          std::vector<int64_t> ix(sh.size());
          for (std::size_t d = sh.size(); d-- > 0;) {
            ix[d] = rem % sh[d];
            rem /= sh[d];
          }
          idx = shape_to_string(ix);
          fail(ErrorCode::kNonFinite, where() + "tensor '" + in.name + "' holds a non-finite weight (" +
                                          (std::isnan(tv.data[e]) ? "NaN" : "Inf") + ") at index " + idx +
                                          "; the export is broken (diverged training?)");
        }
      tv.shape = std::move(in.shape);
      f_.tensors_.push_back(std::move(tv));
      f_.tensor_names_.push_back(std::move(in.name));
    }

    // rt_synth metadata that gates everything else.
    const GgufValue* arch = f_.find("general.architecture");
    if (!arch)
      fail(ErrorCode::kMissingKey, where() + "missing key 'general.architecture' (expected \"rt_synth\")");
    if (arch->type != GgufType::kString || arch->s != "rt_synth")
      fail(ErrorCode::kBadValue, where() + "'general.architecture' is " +
                                     (arch->type == GgufType::kString ? "\"" + quoted(arch->s) + "\"" : std::string("not a string")) +
                                     ", expected \"rt_synth\" (a GGUF file, but not an rt-synth model)");
    uint32_t fv = 0;
    Error e = f_.get_u32("rt_synth.format_version", fv);
    if (!e.ok()) throw LoadFailure{e};
    if (fv < kOldestFormatVersion || fv > kFormatVersion)
      fail(ErrorCode::kBadVersion, where() + "'rt_synth.format_version' is " + std::to_string(fv) +
                                       ", this build of rt-synth reads format versions " +
                                       std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion) +
                                       (fv > kFormatVersion ? " (upgrade rt-synth)" : " (re-export the model)"));
    f_.format_version_ = fv;
  }

 private:
  std::string where() const { return f_.name_ + ": "; }
  uint64_t remaining() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) {
    if (n > remaining())
      fail(ErrorCode::kTruncated, where() + "truncated: " + what + " needs " + std::to_string(n) + " bytes at offset " +
                                      std::to_string(pos_) + ", only " + std::to_string(remaining()) + " left");
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));  // little-endian hosts only (x86-64, AArch64)
    pos_ += sizeof(T);
    return v;
  }
  uint32_t u32(const std::string& what) { return read<uint32_t>(what); }
  uint64_t u64(const std::string& what) { return read<uint64_t>(what); }

  std::string str(const std::string& what) {
    const uint64_t n = u64("length of " + what);
    if (n > lim_.max_string)
      fail(ErrorCode::kTooLarge, where() + what + " has length " + std::to_string(n) + ", limit " +
                                     std::to_string(lim_.max_string));
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(n));
    if (!valid_utf8(s))
      fail(ErrorCode::kBadValue, where() + what + " at offset " + std::to_string(pos_) + " is not valid UTF-8 ('" +
                                     quoted(s) + "')");
    pos_ += n;
    return s;
  }

  GgufValue value(uint32_t t, const std::string& key, int depth) {
    if (!known_type(t))
      fail(ErrorCode::kBadValue, where() + "metadata '" + key + "' has unknown value type " + std::to_string(t) +
                                     ", expected 0..12");
    GgufValue v;
    v.type = static_cast<GgufType>(t);
    const std::string what = "value of '" + key + "'";
    switch (v.type) {
      case GgufType::kUint8: v.u = read<uint8_t>(what); break;
      case GgufType::kInt8: v.i = read<int8_t>(what); break;
      case GgufType::kUint16: v.u = read<uint16_t>(what); break;
      case GgufType::kInt16: v.i = read<int16_t>(what); break;
      case GgufType::kUint32: v.u = read<uint32_t>(what); break;
      case GgufType::kInt32: v.i = read<int32_t>(what); break;
      case GgufType::kUint64: v.u = read<uint64_t>(what); break;
      case GgufType::kInt64: v.i = read<int64_t>(what); break;
      case GgufType::kFloat32: v.f = read<float>(what); break;
      case GgufType::kFloat64: v.f = read<double>(what); break;
      case GgufType::kBool: {
        const uint8_t b = read<uint8_t>(what);
        if (b > 1) fail(ErrorCode::kBadValue, where() + "bool '" + key + "' is " + std::to_string(b) + ", expected 0 or 1");
        v.u = b;
        break;
      }
      case GgufType::kString: v.s = str(what); break;
      case GgufType::kArray: {
        if (depth >= 4) fail(ErrorCode::kBadValue, where() + "metadata '" + key + "' nests arrays deeper than 4");
        const uint32_t et = u32("element type of '" + key + "'");
        if (!known_type(et))
          fail(ErrorCode::kBadValue, where() + "array '" + key + "' has unknown element type " + std::to_string(et));
        v.array_type = static_cast<GgufType>(et);
        const uint64_t n = u64("element count of '" + key + "'");
        const std::size_t es = scalar_size(v.array_type);
        const uint64_t min_elem = es ? es : (v.array_type == GgufType::kString ? 8 : 12);
        if (n > lim_.max_array)
          fail(ErrorCode::kTooLarge, where() + "array '" + key + "' has " + std::to_string(n) + " elements, limit " +
                                         std::to_string(lim_.max_array));
        if (n > remaining() / min_elem)
          fail(ErrorCode::kTruncated, where() + "array '" + key + "' claims " + std::to_string(n) +
                                          " elements but only " + std::to_string(remaining()) + " bytes remain");
        v.array_count = n;
        if (v.array_type == GgufType::kString) {
          v.strings.reserve(n);
          for (uint64_t k = 0; k < n; ++k) v.strings.push_back(str("element " + std::to_string(k) + " of '" + key + "'"));
        } else if (v.array_type == GgufType::kArray) {
          for (uint64_t k = 0; k < n; ++k) (void)value(static_cast<uint32_t>(GgufType::kArray), key, depth + 1);
        } else {
          v.numbers.reserve(n);
          for (uint64_t k = 0; k < n; ++k) {
            GgufValue e = value(et, key, depth + 1);
            double d = 0;
            switch (e.type) {
              case GgufType::kInt8: case GgufType::kInt16: case GgufType::kInt32: case GgufType::kInt64:
                d = static_cast<double>(e.i); break;
              case GgufType::kFloat32: case GgufType::kFloat64: d = e.f; break;
              default: d = static_cast<double>(e.u); break;
            }
            v.numbers.push_back(d);
          }
        }
        break;
      }
    }
    return v;
  }

  ModelFile& f_;
  const ModelFileLimits& lim_;
  const uint8_t* p_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

Error ModelFile::from_memory(const void* data, std::size_t size, ModelFile& out, const std::string& name,
                             const ModelFileLimits& limits) noexcept {
  out = ModelFile();
  try {
    ModelFile f;
    f.name_ = name;
    if (size > limits.max_file)
      return make_error(ErrorCode::kTooLarge, name + ": " + std::to_string(size) + " bytes, limit " +
                                                  std::to_string(limits.max_file));
    if (size < 24)
      return make_error(ErrorCode::kTruncated, name + ": truncated: " + std::to_string(size) +
                                                   " bytes, a GGUF header alone is 24 bytes");
    if (!f.buffer_.allocate(size)) return make_error(ErrorCode::kTooLarge, name + ": cannot allocate " + std::to_string(size) + " bytes");
    std::memcpy(f.buffer_.data(), data, size);
    GgufParser(f, limits).parse();
    out = std::move(f);
    return Error::none();
  } catch (const LoadFailure& e) {
    return e.error;
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kTooLarge, name + ": out of memory while reading");
  } catch (...) {
    return make_error(ErrorCode::kBadValue, name + ": unexpected error while reading");
  }
}

namespace {

// What a path that is not a regular file is, for messages.
const char* notRegularWhat(bool dir, bool fifo, bool chr, bool blk, bool sock) {
  if (dir) return "a folder";
  if (fifo) return "a FIFO (named pipe)";
  if (chr || blk) return "a device";
  if (sock) return "a socket";
  return "not a regular file";
}

Error notRegular(const std::string& path, const char* what) {
  return make_error(ErrorCode::kIoError, path + ": is " + std::string(what) +
                                             ", not a model file (give the path of an .rtsynth file)");
}

}  // namespace

// Stat first: only a regular file is read. A FIFO or device is refused at once (opened
// O_NONBLOCK and checked with fstat, so there is no window in which open() could block on a
// FIFO swapped in after the check); a folder never reaches fopen.
Error ModelFile::load(const std::string& path, ModelFile& out, const ModelFileLimits& limits) noexcept {
  out = ModelFile();
  try {
    std::vector<uint8_t> bytes;
#if defined(_WIN32)
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st))
      return make_error(ErrorCode::kIoError, path + ": cannot open (no such file)");
    if (!std::filesystem::is_regular_file(st))
      return notRegular(path, notRegularWhat(std::filesystem::is_directory(st), std::filesystem::is_fifo(st),
                                             std::filesystem::is_character_file(st),
                                             std::filesystem::is_block_file(st), std::filesystem::is_socket(st)));
    std::FILE* fp = std::fopen(path.c_str(), "rb");
    if (!fp) return make_error(ErrorCode::kIoError, path + ": cannot open (" + std::strerror(errno) + ")");
    struct Closer {
      std::FILE* f;
      ~Closer() { std::fclose(f); }
    } closer{fp};
    const auto fsize = std::filesystem::file_size(path, ec);
    if (ec) return make_error(ErrorCode::kIoError, path + ": cannot tell its size");
    if (fsize > limits.max_file)
      return make_error(ErrorCode::kTooLarge, path + ": " + std::to_string(fsize) + " bytes, limit " +
                                                  std::to_string(limits.max_file));
    bytes.resize(static_cast<std::size_t>(fsize));
    if (!bytes.empty() && std::fread(bytes.data(), 1, bytes.size(), fp) != bytes.size())
      return make_error(ErrorCode::kIoError, path + ": short read");
#else
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return make_error(ErrorCode::kIoError, path + ": cannot open (" + std::strerror(errno) + ")");
    auto kindOf = [](const struct stat& s) {
      return notRegularWhat(S_ISDIR(s.st_mode), S_ISFIFO(s.st_mode), S_ISCHR(s.st_mode), S_ISBLK(s.st_mode),
                            S_ISSOCK(s.st_mode));
    };
    if (!S_ISREG(st.st_mode)) return notRegular(path, kindOf(st));
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::kIoError, path + ": cannot open (" + std::strerror(errno) + ")");
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    if (::fstat(fd, &st) != 0) return make_error(ErrorCode::kIoError, path + ": cannot stat (" + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) return notRegular(path, kindOf(st));
    const uint64_t fsize = static_cast<uint64_t>(st.st_size);
    if (fsize > limits.max_file)
      return make_error(ErrorCode::kTooLarge, path + ": " + std::to_string(fsize) + " bytes, limit " +
                                                  std::to_string(limits.max_file));
    bytes.resize(static_cast<std::size_t>(fsize));
    std::size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return make_error(ErrorCode::kIoError, path + ": short read");
      got += static_cast<std::size_t>(r);
    }
#endif
    return from_memory(bytes.data(), bytes.size(), out, path, limits);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kTooLarge, path + ": out of memory while reading");
  } catch (...) {
    return make_error(ErrorCode::kIoError, path + ": unexpected error while reading");
  }
}

const GgufValue* ModelFile::find(const std::string& key) const noexcept {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &values_[it->second];
}

namespace {
Error missing(const ModelFile& f, const std::string& key, const char* expected) {
  return make_error(ErrorCode::kMissingKey, f.name() + ": missing metadata key '" + key + "' (expected " + expected + ")");
}
Error wrong(const ModelFile& f, const std::string& key, const GgufValue& v, const char* expected) {
  return make_error(ErrorCode::kWrongType, f.name() + ": metadata '" + key + "' is " + gguf_type_name(v.type) +
                                               ", expected " + expected);
}
bool is_unsigned(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 || t == GgufType::kUint64;
}
bool is_signed(GgufType t) {
  return t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 || t == GgufType::kInt64;
}
}  // namespace

Error ModelFile::get_u64(const std::string& key, uint64_t& out) const noexcept {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key, "an unsigned integer");
  if (is_unsigned(v->type)) {
    out = v->u;
    return Error::none();
  }
  if (is_signed(v->type)) {
    if (v->i < 0)
      return make_error(ErrorCode::kBadValue, name_ + ": metadata '" + key + "' is " + std::to_string(v->i) +
                                                  ", expected a non-negative integer");
    out = static_cast<uint64_t>(v->i);
    return Error::none();
  }
  return wrong(*this, key, *v, "an unsigned integer");
}

Error ModelFile::get_u32(const std::string& key, uint32_t& out) const noexcept {
  uint64_t u = 0;
  Error e = get_u64(key, u);
  if (!e.ok()) return e;
  if (u > std::numeric_limits<uint32_t>::max())
    return make_error(ErrorCode::kBadValue, name_ + ": metadata '" + key + "' is " + std::to_string(u) +
                                                ", expected a value that fits in uint32");
  out = static_cast<uint32_t>(u);
  return Error::none();
}

Error ModelFile::get_f32(const std::string& key, float& out) const noexcept {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key, "a number");
  double d;
  if (v->type == GgufType::kFloat32 || v->type == GgufType::kFloat64) d = v->f;
  else if (is_unsigned(v->type)) d = static_cast<double>(v->u);
  else if (is_signed(v->type)) d = static_cast<double>(v->i);
  else return wrong(*this, key, *v, "float32");
  if (!std::isfinite(d) || std::fabs(d) > 3.0e38)
    return make_error(ErrorCode::kNonFinite, name_ + ": metadata '" + key + "' is not a finite float32");
  out = static_cast<float>(d);
  return Error::none();
}

Error ModelFile::get_string(const std::string& key, std::string& out) const noexcept {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key, "a string");
  if (v->type != GgufType::kString) return wrong(*this, key, *v, "string");
  try {
    out = v->s;
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, name_ + ": out of memory");
  }
  return Error::none();
}

uint32_t ModelFile::get_u32_or(const std::string& key, uint32_t def) const noexcept {
  uint32_t v;
  return get_u32(key, v).ok() ? v : def;
}
float ModelFile::get_f32_or(const std::string& key, float def) const noexcept {
  float v;
  return get_f32(key, v).ok() ? v : def;
}
std::string ModelFile::get_string_or(const std::string& key, const std::string& def) const noexcept {
  std::string v;
  try {
    return get_string(key, v).ok() ? v : def;
  } catch (...) {
    return std::string();
  }
}

const TensorView* ModelFile::find_tensor(const std::string& name) const noexcept {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Error ModelFile::tensor(const std::string& name, const std::vector<int64_t>& expected_shape, TensorView& out) const noexcept {
  try {
    const TensorView* t = find_tensor(name);
    if (!t)
      return make_error(ErrorCode::kMissingKey, name_ + ": missing tensor '" + name + "' (expected shape " +
                                                    shape_to_string(expected_shape) + ")");
    if (t->shape != expected_shape)
      return make_error(ErrorCode::kBadShape, name_ + ": tensor '" + name + "' has shape " + shape_to_string(t->shape) +
                                                  ", expected " + shape_to_string(expected_shape));
    out = *t;
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, name_ + ": out of memory");
  }
}

}  // namespace rt_synth
