// VoiceAllocator: which slot a new note gets (polyphonic mode).
//
//   1. a voice already playing this note is re-attacked (no second copy of one key);
//   2. else the lowest free slot (low slots first keeps the batched network's batch small:
//      it runs over slots 0..highest active);
//   3. else a steal: the quietest voice in its release phase, or if none is releasing the
//      oldest held one (ties: the quieter). The stolen voice fades out over one frame and
//      the new note starts at the next frame boundary. Voices already fading for a steal
//      are taken last (their pending note is replaced).
#pragma once
#include "synth/voice.h"

namespace rt_synth::synth {

struct VoiceChoice {
  enum class Kind { kStart, kRetrigger, kSteal, kReplacePending } kind;
  int slot;
};

class VoiceAllocator {
 public:
  // voices[0..usable-1] are eligible. usable ≥ 1.
  static VoiceChoice choose(const Voice* voices, int usable, int note) noexcept;
};

}  // namespace rt_synth::synth
