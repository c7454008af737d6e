#include "synth/voice_allocator.h"

namespace rt_synth::synth {

VoiceChoice VoiceAllocator::choose(const Voice* v, int usable, int note) noexcept {
  for (int i = 0; i < usable; ++i)
    if (v[i].state == Voice::State::kPlaying && v[i].note == note)
      return {VoiceChoice::Kind::kRetrigger, i};
  for (int i = 0; i < usable; ++i)
    if (v[i].state == Voice::State::kIdle && v[i].pending_note < 0) return {VoiceChoice::Kind::kStart, i};
  // A slot whose steal fade already finished but whose pending note has not started yet:
  // replace its pending note.
  int best = -1;
  for (int i = 0; i < usable; ++i) {
    if (v[i].state != Voice::State::kPlaying) continue;
    if (!v[i].env.releasing()) continue;
    if (best < 0 || v[i].level() < v[best].level()) best = i;
  }
  if (best >= 0) return {VoiceChoice::Kind::kSteal, best};
  for (int i = 0; i < usable; ++i) {
    if (v[i].state != Voice::State::kPlaying) continue;
    if (best < 0 || v[i].age < v[best].age ||
        (v[i].age == v[best].age && v[i].level() < v[best].level()))
      best = i;
  }
  if (best >= 0) return {VoiceChoice::Kind::kSteal, best};
  // Every usable slot is fading (or idle with a pending note): take the oldest pending.
  best = 0;
  for (int i = 1; i < usable; ++i)
    if (v[i].age < v[best].age) best = i;
  return {VoiceChoice::Kind::kReplacePending, best};
}

}  // namespace rt_synth::synth
