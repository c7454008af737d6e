#pragma once
// Minimal check macros for the C++ test executables (no framework dependency).
#include <cstdio>

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

inline int finish(const char* name) {
  if (g_failures) std::printf("%s: %d FAILURE(S)\n", name, g_failures);
  else std::printf("%s: all checks passed\n", name);
  return g_failures ? 1 : 0;
}
