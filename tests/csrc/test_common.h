#pragma once
// Minimal check macros and helpers for the C++ test executables (no framework dependency);
// tests/tsan uses them too.
#include <cstdio>
#include <vector>

static int g_failures = 0;
#define CHECK(cond, ...)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
      std::fprintf(stderr, __VA_ARGS__);                          \
      std::fprintf(stderr, "\n");                                 \
      ++g_failures;                                               \
    }                                                             \
  } while (0)

// The whole file (empty if it cannot be read: the model loaders then report the error).
inline std::vector<unsigned char> read_all(const char* path) {
  std::vector<unsigned char> v;
  if (FILE* f = std::fopen(path, "rb")) {
    unsigned char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
    std::fclose(f);
  }
  return v;
}

inline int finish(const char* name) {
  if (g_failures) std::printf("%s: %d FAILURE(S)\n", name, g_failures);
  else std::printf("%s: all checks passed\n", name);
  return g_failures ? 1 : 0;
}
