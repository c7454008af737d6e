// LatentControls: the MIDI-CC → latent-control map shared by the RAVE host engines
// (RaveEngine: timbre transfer; RaveSynth: played from MIDI). docs/rave-engine.md.
//
// Targets (model space, as RaveModel::setLatentOffset/Scale): a per-control offset and
// scale and a global scale, atomics settable from any thread. The CC map itself lives on
// the audio thread (changed through each engine's queue with setMap()).
//
// Default map (channel ignored; values 0..127):
//   CC 16+i (i < latent_count, 16+i < 120)  offset of control i: 64 → 0, 0 → −range·std_i,
//                                           127 → +range·std_i (range = latent_offset_range)
//   CC 1 (mod wheel)                        global scale: 0 → 1 (as trained) … 127 → latent_scale_max
//   CC 121 (reset all controllers)          offsets 0, scales 1, global scale 1
// A mapped kScale CC: 0..127 → 0..latent_scale_max.
// Real time: init() allocates; everything else does not allocate, lock or throw.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "kinds/rave/rave_model.h"

namespace rt_synth::rave {

enum LatentCCTarget : int8_t { kCCNone = 0, kCCOffset = 1, kCCScale = 2, kCCGlobalScale = 3 };

class LatentControls {
 public:
  static constexpr int kFirstOffsetCC = 16;

  // Allocates the targets for `model`'s controls and sets the default map; false: out of memory.
  bool init(const RaveModel& model) noexcept;

  // ---- any thread -------------------------------------------------------------------------
  bool setOffset(int i, float value) noexcept;  // false: bad index; NaN ignored
  bool setScale(int i, float value) noexcept;
  void setGlobalScale(float value) noexcept;
  float offset(int i) const noexcept;
  float scale(int i) const noexcept;
  float globalScale() const noexcept { return global_scale_.load(std::memory_order_relaxed); }
  void resetTargets() noexcept;  // offsets 0, scales 1, global scale 1
  // Whether mapCC(cc, target, index) is acceptable (range of cc, target and index).
  bool validMap(int cc, int target, int index) const noexcept;

  // ---- audio thread -----------------------------------------------------------------------
  void setMap(int cc, int8_t target, int16_t index) noexcept { map_[cc & 127] = {target, index}; }
  // A control change: true when it moved a target (a mapped CC) or reset them (CC 121).
  bool handleCC(int cc, int value) noexcept;

  int size() const noexcept { return size_; }

 private:
  struct Map { int8_t target = kCCNone; int16_t index = 0; };
  const RaveModel* model_ = nullptr;
  int size_ = 0;
  Map map_[128];
  std::unique_ptr<std::atomic<float>[]> offset_, scale_;
  std::atomic<float> global_scale_{1.f};
};

// Raw MIDI bytes into an engine's event queue, in chunks of the event's byte array.
// Returns false when the queue refused a chunk (counted in `dropped`).
template <typename Queue, typename Event>
bool pushMidiChunks(Queue& q, const uint8_t* bytes, int len, std::atomic<int64_t>& dropped) noexcept {
  if (!bytes || len <= 0) return true;
  bool ok = true;
  Event e;
  e.kind = Event::kMidi;
  for (int i = 0; i < len; i += static_cast<int>(sizeof e.bytes)) {
    const int c = len - i < static_cast<int>(sizeof e.bytes) ? len - i : static_cast<int>(sizeof e.bytes);
    e.len = static_cast<uint8_t>(c);
    std::memcpy(e.bytes, bytes + i, static_cast<size_t>(c));
    if (!q.push(e)) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      ok = false;
    }
  }
  return ok;
}

}  // namespace rt_synth::rave
