#pragma once
// Heap-allocation counter for real-time tests. Link alloc_counter.cpp into a test: it
// replaces the global operator new/delete (all forms) and, through the linker's --wrap,
// malloc/calloc/realloc/aligned_alloc/posix_memalign called from the core library. Every
// allocation bumps a counter; a test reads it before and after the calls under test.
#include <cstdint>

namespace rt_test {
int64_t allocation_count() noexcept;
}  // namespace rt_test
