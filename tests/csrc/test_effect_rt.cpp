// Real-time properties of the effect kind's core model (csrc/kinds/effect/effect_model.*):
//  * zero heap allocations in process() over 1000 random blocks of 1..4096 samples,
//  * output independent of the block size (bit for bit),
//  * NaN/Inf/huge input → finite output within ±EffectModel::kOutputBound,
//  * the caller's MXCSR restored; a corrupt file refused with an error.
// Usage: test_effect_rt MODEL.rtsynth (tests/csrc/make_effect_test_model.py: an lstm model in
// ctest effect_rt, a wavenet in effect_rt_wavenet, whose reset() pre-warms its layers).
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "format/model_file.h"
#include "kinds/effect/effect_model.h"
#include "test_common.h"
#include "util/denormal_guard.h"

using namespace rt_synth;
using rt_synth::effect::EffectModel;

namespace {
std::mt19937 rng(97);
int rand_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<float> run(EffectModel& m, const std::vector<float>& x, int block) {
  m.reset();
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size();) {
    const int n = block > 0 ? block : rand_int(1, 4096);
    const int k = static_cast<int>(std::min<std::size_t>(n, x.size() - i));
    m.process(x.data() + i, y.data() + i, k);
    i += k;
  }
  return y;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_effect_rt MODEL.rtsynth\n");
    return 2;
  }
  std::unique_ptr<EffectModel> m;
  Error e = EffectModel::load(argv[1], m);
  CHECK(e.ok(), "load: %s", e.message.c_str());
  if (!e.ok()) return finish("test_effect_rt");
  CHECK(m->prepare().ok(), "prepare");
  CHECK(m->latency() == 0, "latency %d", m->latency());

  std::normal_distribution<float> d(0.f, 0.2f);
  std::vector<float> x(48000);
  for (float& v : x) v = d(rng);
  const auto ref = run(*m, x, 1);
  for (int block : {7, 64, 4096, 0}) {
    const auto y = run(*m, x, block);
    CHECK(y == ref, "block %d differs from block 1", block);
  }

  std::vector<float> y(4096);
  int64_t allocs = 0;
  int bad_blocks = 0;
  for (int i = 0; i < 1000; ++i) {
    const int n = rand_int(1, 4096);
    for (int k = 0; k < n; ++k) y[k] = d(rng);
    if (i % 7 == 0) y[0] = std::nanf("");
    if (i % 11 == 0) y[n - 1] = (i % 2) ? INFINITY : -1e30f;
    const int64_t before = rt_test::allocation_count();
    m->process(y.data(), y.data(), n);
    if (i % 100 == 0) m->reset();
    allocs += rt_test::allocation_count() - before;
    bool ok = true;
    for (int k = 0; k < n; ++k) ok = ok && std::isfinite(y[k]) && std::fabs(y[k]) <= EffectModel::kOutputBound;
    bad_blocks += ok ? 0 : 1;
  }
  CHECK(bad_blocks == 0, "%d blocks with non-finite or unbounded output", bad_blocks);
  std::printf("EffectModel: allocations over 1000 random blocks: %lld\n", (long long)allocs);
  CHECK(allocs == 0, "allocations in process/reset: %lld", (long long)allocs);

#if defined(RT_SYNTH_HAS_MXCSR)
  const unsigned csr = _mm_getcsr();
  float o[16];
  m->process(x.data(), o, 16);
  CHECK(_mm_getcsr() == csr, "MXCSR not restored");
#endif

  auto bytes = read_all(argv[1]);
  bytes.resize(bytes.size() / 2);
  ModelFile f;
  Error fe = ModelFile::from_memory(bytes.data(), bytes.size(), f, "half.rtsynth");
  std::unique_ptr<EffectModel> bad;
  if (fe.ok()) fe = EffectModel::fromFile(f, bad);
  CHECK(!fe.ok() && fe.message.find("half.rtsynth") != std::string::npos, "a truncated file must be refused by name");
  return finish("test_effect_rt");
}
