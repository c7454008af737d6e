// EventQueue<T, N>: a bounded, lock-free multi-producer / single-consumer queue (Vyukov's
// bounded queue: one sequence number per cell, a CAS on the enqueue position).
//
// Why not a plain SPSC ring: MIDI and parameter changes reach the engine from several
// threads at once (a MIDI input thread, a GUI, a network/OSC thread). With a single-producer
// ring two writers would corrupt it; a mutex would let a writer block the audio thread. Here
// a producer never waits for the consumer (push fails when full, the caller counts the
// drop) and the consumer (the audio thread) never waits for anything: pop() is wait-free
// for it, a cell whose producer is mid-write simply reads as "empty" until the next block.
// T must be trivially copyable; N a power of two. No allocation after construction.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace rt_synth::synth {

template <typename T, std::size_t N>
class EventQueue {
  static_assert(std::is_trivially_copyable<T>::value, "EventQueue holds plain data");
  static_assert(N >= 2 && (N & (N - 1)) == 0, "N must be a power of two");

 public:
  EventQueue() noexcept {
    for (std::size_t i = 0; i < N; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Any thread. Lock-free; false when the queue is full (the event is not queued).
  bool push(const T& value) noexcept {
    std::size_t pos = enq_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & (N - 1)];
      const std::size_t seq = c.seq.load(std::memory_order_acquire);
      const std::intptr_t dif = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
      if (dif == 0) {
        if (enq_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = value;
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (dif < 0) {
        return false;  // full
      } else {
        pos = enq_.load(std::memory_order_relaxed);
      }
    }
  }

  // The single consumer thread only. Wait-free; false when nothing is ready.
  bool pop(T& out) noexcept {
    Cell& c = cells_[deq_ & (N - 1)];
    const std::size_t seq = c.seq.load(std::memory_order_acquire);
    if (seq != deq_ + 1) return false;
    out = c.value;
    c.seq.store(deq_ + N, std::memory_order_release);
    ++deq_;
    return true;
  }

  static constexpr std::size_t capacity() noexcept { return N; }

 private:
  struct alignas(64) Cell {
    std::atomic<std::size_t> seq;
    T value;
  };
  Cell cells_[N];
  alignas(64) std::atomic<std::size_t> enq_{0};
  alignas(64) std::size_t deq_ = 0;  // consumer-owned
};

}  // namespace rt_synth::synth
