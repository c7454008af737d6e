#pragma once
// DenormalGuard: RAII scope that flushes denormals to zero (FTZ + DAZ in MXCSR on x86,
// FZ in FPCR on AArch64) and restores the caller's floating-point mode on exit.
// Put one at the top of every process() entry point that a host calls.
#include <cstdint>
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#define RT_SYNTH_HAS_MXCSR 1
#endif

namespace rt_synth {

class DenormalGuard {
 public:
  DenormalGuard() noexcept {
#if defined(RT_SYNTH_HAS_MXCSR)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFtz | kDaz);
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    fpcr |= (uint64_t(1) << 24);
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#endif
  }
  ~DenormalGuard() noexcept {
#if defined(RT_SYNTH_HAS_MXCSR)
    _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(saved_));
#endif
  }
  DenormalGuard(const DenormalGuard&) = delete;
  DenormalGuard& operator=(const DenormalGuard&) = delete;

 private:
#if defined(RT_SYNTH_HAS_MXCSR)
  static constexpr unsigned kFtz = 0x8000;  // flush-to-zero
  static constexpr unsigned kDaz = 0x0040;  // denormals-are-zero
#endif
  uint64_t saved_ = 0;
};

}  // namespace rt_synth
