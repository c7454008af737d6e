#include "util/cpu_features.h"

namespace rt_synth {

bool cpu_has_avx2_fma() noexcept {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const char* isa_name(Isa isa) noexcept {
  return isa == Isa::kAvx2Fma ? "avx2+fma" : "portable";
}

}  // namespace rt_synth
