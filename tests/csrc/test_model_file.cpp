// ModelFile on hostile input, in memory, meant to run under ASan/UBSan: a hand-built valid
// GGUF parses; every prefix, 20 000 random bit flips and random overwrites are refused with
// an error (or parse into a valid file), never crash or read out of bounds.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/layer_loader.h"
#include "format/model_file.h"
#include "test_common.h"

using namespace rt_synth;

namespace {
struct Writer {
  std::vector<uint8_t> b;
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(T));
  }
  void str(const std::string& s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void pad(std::size_t a) {
    while (b.size() % a) b.push_back(0);
  }
};

std::vector<uint8_t> build(uint32_t format_version = 1, float poison = 0.f) {
  Writer w;
  w.put<uint32_t>(0x46554747);
  w.put<uint32_t>(3);
  w.put<uint64_t>(2);  // tensors
  w.put<uint64_t>(5);  // kvs
  w.str("general.architecture"); w.put<uint32_t>(8); w.str("rt_synth");
  w.str("rt_synth.format_version"); w.put<uint32_t>(4); w.put<uint32_t>(format_version);
  w.str("rt_synth.hop"); w.put<uint32_t>(4); w.put<uint32_t>(192);
  w.str("x.f"); w.put<uint32_t>(6); w.put<float>(0.5f);
  w.str("x.arr"); w.put<uint32_t>(9); w.put<uint32_t>(8); w.put<uint64_t>(2); w.str("ab"); w.str("c");
  // tensor "w": row-major [2, 3] -> GGML dims (3, 2); "b": [2]
  w.str("lin.weight"); w.put<uint32_t>(2); w.put<uint64_t>(3); w.put<uint64_t>(2); w.put<uint32_t>(0); w.put<uint64_t>(0);
  w.str("lin.bias"); w.put<uint32_t>(1); w.put<uint64_t>(2); w.put<uint32_t>(0); w.put<uint64_t>(32);
  w.pad(32);
  for (int i = 0; i < 6; ++i) w.put<float>(i == 4 && poison != 0.f ? poison : float(i));
  w.pad(32);
  w.put<float>(7.f); w.put<float>(8.f);
  return w.b;
}
}  // namespace

int main() {
  const std::vector<uint8_t> good = build();
  ModelFile f;
  Error e = ModelFile::from_memory(good.data(), good.size(), f, "good");
  CHECK(e.ok(), "valid file refused: %s", e.message.c_str());
  TensorView tv;
  CHECK(f.tensor("lin.weight", {2, 3}, tv).ok() && tv.data[5] == 5.f, "tensor w");
  CHECK(f.tensor("lin.weight", {3, 2}, tv).code == ErrorCode::kBadShape, "shape check");
  CHECK(f.tensor("lin.bias", {2}, tv).ok() && tv.data[1] == 8.f, "tensor b");
  uint32_t hop = 0;
  CHECK(f.get_u32("rt_synth.hop", hop).ok() && hop == 192, "hop");
  CHECK(f.get_f32_or("x.f", 0.f) == 0.5f, "x.f");
  CHECK(f.get_u32("missing", hop).code == ErrorCode::kMissingKey, "missing");
  CHECK(f.get_u32("x.arr", hop).code == ErrorCode::kWrongType, "wrong type");

  // Loader: shapes checked against the caller's sizes; weights reach the layer.
  Linear lin;
  CHECK(load_linear(f, "lin", 2, 3, lin).ok(), "load_linear");
  const float x[3] = {1.f, 1.f, 1.f};
  float y[2] = {0, 0};
  lin.forward(x, y, 1);
  CHECK(y[0] == 0 + 1 + 2 + 7.f && y[1] == 3 + 4 + 5 + 8.f, "Linear from file: %g %g", y[0], y[1]);
  CHECK(load_linear(f, "lin", 3, 2, lin).code == ErrorCode::kBadShape, "loader shape check");
  GRU gru;
  Error ge = load_gru(f, "gru", 2, 4, gru);
  CHECK(ge.code == ErrorCode::kMissingKey && ge.message.find("gru.weight_ih") != std::string::npos, "loader missing");

  auto code_of = [](const std::vector<uint8_t>& d) {
    ModelFile m;
    return ModelFile::from_memory(d.data(), d.size(), m, "t").code;
  };
  CHECK(code_of(build(3)) == ErrorCode::kBadVersion, "format version 3 accepted");
  CHECK(code_of(build(0)) == ErrorCode::kBadVersion, "format version 0 accepted");
  CHECK(code_of(build(2)) == ErrorCode::kOk, "format version 2 refused");
  CHECK(code_of(build(1, NAN)) == ErrorCode::kNonFinite, "NaN accepted");
  CHECK(code_of(build(1, INFINITY)) == ErrorCode::kNonFinite, "Inf accepted");

  // Every prefix shorter than the end of the last tensor is refused.
  const std::size_t end = good.size();
  int refused = 0;
  for (std::size_t n = 0; n < end; ++n) {
    std::vector<uint8_t> d(good.begin(), good.begin() + n);
    ModelFile m;
    Error er = ModelFile::from_memory(d.data(), d.size(), m, "prefix");
    CHECK(!er.ok() && !er.message.empty(), "prefix of %zu bytes accepted", n);
    refused += !er.ok();
  }
  // Random bit flips and byte overwrites.
  std::mt19937 rng(99);
  int parsed = 0, errors = 0;
  for (int it = 0; it < 20000; ++it) {
    std::vector<uint8_t> d = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      const std::size_t i = rng() % d.size();
      if (it % 4 == 0) d[i] = static_cast<uint8_t>(rng());
      else d[i] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    ModelFile m;
    Error er = ModelFile::from_memory(d.data(), d.size(), m, "flip");
    if (er.ok()) {
      ++parsed;
      for (const auto& n : m.tensor_names()) {
        const TensorView* t = m.find_tensor(n);
        for (int64_t j = 0; j < t->numel; ++j) CHECK(std::isfinite(t->data[j]), "non-finite weight accepted");
      }
    } else {
      ++errors;
      CHECK(!er.message.empty(), "empty error message");
    }
  }
  std::printf("model file: %d prefixes refused; 20000 mutations: %d parsed, %d refused\n", refused, parsed, errors);
  return finish("test_model_file");
}
