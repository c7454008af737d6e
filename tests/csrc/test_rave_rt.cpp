// Real-time properties of the streaming RAVE model (csrc/kinds/rave/rave_model.*):
//  * zero heap allocations in process/encode/decode over >= 1000 random blocks 1..max_block
//    (counted by alloc_counter.cpp), with latent controls changed from another thread,
//  * output independent of the block size (bit for bit),
//  * NaN/Inf input → finite output,
//  * the caller's MXCSR restored; corrupt files refused with an error.
// A pitch source model (ctest rave_rt_pitched, config tiny-pitched) also runs decodeWithPitch in
// the allocation loop, with NaN/Inf/huge f0 and periodicity (and loudness: the DDSP-style
// harmonic head of ctest rave_rt_harmonic_ddsp, config tiny-harmonic-ddsp, reads it).
// Usage: test_rave_rt MODEL.rtsynth (kind rave; tests/csrc/make_rave_test_model.py).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "format/model_file.h"
#include "kinds/rave/rave_model.h"
#include "test_common.h"

using namespace rt_synth;

namespace {
std::mt19937 rng(4321);
int rand_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<float> test_signal(int n) {
  std::normal_distribution<float> d(0.f, 0.05f);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = 0.5f * std::sin(2.f * 3.14159265f * 220.f * i / 48000.f) + d(rng);
  return x;
}

std::vector<float> run(RaveModel& m, const std::vector<float>& x, int block, bool random_blocks, int max_block,
                       int64_t* allocs) {
  m.reset();
  std::vector<float> y(x.size());
  int64_t count = 0;
  std::size_t pos = 0;
  while (pos < x.size()) {
    int n = random_blocks ? rand_int(1, max_block) : block;
    n = static_cast<int>(std::min<std::size_t>(n, x.size() - pos));
    const int64_t before = rt_test::allocation_count();
    m.process(x.data() + pos, y.data() + pos, n);
    count += rt_test::allocation_count() - before;
    pos += n;
  }
  if (allocs) *allocs = count;
  return y;
}

void test_no_alloc_and_block_independence(const std::string& path) {
  std::unique_ptr<RaveModel> m;
  Error e = RaveModel::load(path, m);
  CHECK(!e, "load: %s", e.message.c_str());
  if (e) return;
  const int max_block = 1024;
  CHECK(m->prepare(48000, max_block).ok(), "prepare");
  const int R = m->ratio(), D = m->latentSize();
  auto x = test_signal(48000);
  const auto ref = run(*m, x, 4096, false, max_block, nullptr);

  // Latent controls moved from another thread while the audio thread runs (atomics).
  std::atomic<bool> stop{false};
  std::thread controller([&] {
    float v = 0.f;
    while (!stop.load()) {
      for (int i = 0; i < D; ++i) {
        m->setLatentOffset(i, std::sin(v + i) * 0.1f);
        m->setLatentScale(i, 1.f + 0.2f * std::cos(v));
      }
      v += 0.01f;
      std::this_thread::yield();
    }
  });
  int64_t allocs = 0, blocks_total = 0;
  int64_t a = 0;
  for (int rep = 0; rep < 3; ++rep) {  // random blocks: >= 1000 in all
    std::size_t pos = 0;
    m->reset();
    std::vector<float> y(max_block);
    while (pos < x.size()) {
      const int n = static_cast<int>(std::min<std::size_t>(rand_int(1, max_block / 8), x.size() - pos));
      const int64_t before = rt_test::allocation_count();
      m->process(x.data() + pos, y.data(), n);
      allocs += rt_test::allocation_count() - before;
      for (int i = 0; i < n; ++i) CHECK(std::isfinite(y[i]), "non-finite output");
      pos += n;
      ++blocks_total;
    }
  }
  // encode/decode too
  std::vector<float> u(static_cast<std::size_t>(D) * (max_block / R + 2)), out(static_cast<std::size_t>(R) * 4);
  const float f0s[4] = {220.f, std::nanf(""), INFINITY, -1e30f}, pers[4] = {0.95f, INFINITY, std::nanf(""), 0.7f};
  const float louds[4] = {0.8f, std::nanf(""), INFINITY, -1e30f};  // the head's loudness input
  m->reset();
  for (int i = 0; i < 400; ++i) {
    const int n = rand_int(1, max_block);
    const int64_t before = rt_test::allocation_count();
    const int f = m->encode(x.data() + (i * 97) % (48000 - max_block), n, u.data());
    m->decode(u.data(), std::min(f, 4), out.data());
    if (m->hasPitchSource()) {
      m->decodeWithPitch(u.data(), f0s, pers, std::min(f, 4), out.data());
      for (int j = 0; j < std::min(f, 4) * R; ++j) CHECK(std::isfinite(out[j]), "non-finite decodeWithPitch output");
      m->decodeWithPitch(u.data(), f0s, pers, std::min(f, 4), out.data(), louds);
    }
    allocs += rt_test::allocation_count() - before;
    for (int j = 0; j < std::min(f, 4) * R; ++j) CHECK(std::isfinite(out[j]), "non-finite decode output");
    ++blocks_total;
  }
  stop.store(true);
  controller.join();
  std::printf("RaveModel%s: %lld random blocks (process/encode/decode), allocations = %lld\n",
              m->hasPitchSource() ? " (pitch source)" : "", (long long)blocks_total, (long long)allocs);
  CHECK(blocks_total >= 1000, "too few blocks");
  CHECK(allocs == 0, "allocations in process: %lld", (long long)allocs);

  // Block-size independence (controls back to neutral).
  for (int i = 0; i < D; ++i) {
    m->setLatentOffset(i, 0.f);
    m->setLatentScale(i, 1.f);
  }
  for (int block : {1, 7, 64, 100, 256, 1000}) {
    const auto y = run(*m, x, block, false, max_block, &a);
    float diff = 0.f;
    for (std::size_t i = 0; i < y.size(); ++i) diff = std::max(diff, std::fabs(y[i] - ref[i]));
    CHECK(diff == 0.f, "block %d differs from block 4096 by %g", block, diff);
    CHECK(a == 0, "block %d: %lld allocations", block, (long long)a);
  }
  const auto yr = run(*m, x, 0, true, max_block, &a);
  float diff = 0.f;
  for (std::size_t i = 0; i < yr.size(); ++i) diff = std::max(diff, std::fabs(yr[i] - ref[i]));
  CHECK(diff == 0.f, "random blocks differ by %g", diff);

  // Bad numbers in.
  auto bad = x;
  for (int i = 1000; i < 1100; ++i) bad[i] = std::nanf("");
  bad[5000] = INFINITY;
  bad[6000] = -INFINITY;
  bad[7000] = 1e38f;
  const auto yb = run(*m, bad, 100, false, max_block, &a);
  bool finite = true;
  for (float v : yb) finite = finite && std::isfinite(v) && std::fabs(v) < 1e4f;
  CHECK(finite, "NaN/Inf input gave non-finite or huge output");
#if defined(RT_SYNTH_HAS_MXCSR)
  const unsigned before = _mm_getcsr();
  float o[16];
  m->process(x.data(), o, 16);
  CHECK(_mm_getcsr() == before, "MXCSR not restored");
#endif
  std::printf("RaveModel: block sizes 1..1000 and random blocks bit-identical, NaN/Inf input finite\n");
}

void test_corrupt(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  int refused = 0;
  // the last cut removes the last tensor's final bytes: the writer pads the data to 32 bytes, so
  // 33 reach into it whatever the padding (the tiny-harmonic file ends in 28 bytes of padding)
  for (std::size_t cut : {std::size_t(8), bytes.size() / 2, bytes.size() - 33}) {
    ModelFile mf;
    Error e = ModelFile::from_memory(bytes.data(), cut, mf, "cut");
    std::unique_ptr<RaveModel> m;
    if (!e) e = RaveModel::fromFile(mf, m);
    CHECK(e, "truncated file (%zu bytes) accepted", cut);
    refused += e ? 1 : 0;
  }
  std::printf("RaveModel: %d truncated files refused\n", refused);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_rave_rt MODEL.rtsynth\n");
    return 2;
  }
  test_no_alloc_and_block_independence(argv[1]);
  test_corrupt(argv[1]);
  return finish("test_rave_rt");
}
