#pragma once
// AlignedBuffer<T>: a fixed-size, 64-byte aligned, zero-initialised array of trivially
// copyable T. Sized once (in a layer's set-up or prepare), never resized on the audio path.
// Copying makes a deep copy (it allocates: set-up code only, e.g. std::vector<Linear>);
// a copy that cannot be allocated is left empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace rt_synth {

constexpr std::size_t kBufferAlignment = 64;  // one cache line; covers AVX2 (32) and AVX-512 (64)

template <typename T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable<T>::value, "AlignedBuffer holds plain data only");

 public:
  AlignedBuffer() noexcept = default;
  ~AlignedBuffer() { release(); }
  AlignedBuffer(const AlignedBuffer& o) noexcept { copy_from(o); }
  AlignedBuffer& operator=(const AlignedBuffer& o) noexcept {
    if (this != &o) copy_from(o);
    return *this;
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  // (Re)allocates n zeroed elements. Returns false on overflow or allocation failure
  // (the buffer is then empty). Not for the audio thread.
  bool allocate(std::size_t n) noexcept {
    release();
    if (n == 0) return true;
    if (n > (SIZE_MAX - kBufferAlignment) / sizeof(T)) return false;
    std::size_t bytes = n * sizeof(T);
    bytes = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
    void* p = std::aligned_alloc(kBufferAlignment, bytes);
    if (!p) return false;
    std::memset(p, 0, bytes);
    data_ = static_cast<T*>(p);
    size_ = n;
    return true;
  }

  void zero() noexcept {
    if (data_) std::memset(static_cast<void*>(data_), 0, size_ * sizeof(T));
  }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  void copy_from(const AlignedBuffer& o) noexcept {
    if (allocate(o.size_) && o.size_) std::memcpy(static_cast<void*>(data_), o.data_, o.size_ * sizeof(T));
  }
  void release() noexcept {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace rt_synth
