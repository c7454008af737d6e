#pragma once
// Run-time choice of the kernel instruction set.
namespace rt_synth {

enum class Isa { kPortable = 0, kAvx2Fma = 1 };

// True when the CPU (and OS) support AVX2 and FMA.
bool cpu_has_avx2_fma() noexcept;

// Name for logs and benchmarks: "portable" or "avx2+fma".
const char* isa_name(Isa isa) noexcept;

}  // namespace rt_synth
