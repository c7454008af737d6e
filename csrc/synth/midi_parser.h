// MidiParser: raw MIDI bytes → channel-voice events, byte by byte, robust to anything.
//
// - Running status: data bytes after a channel message reuse its status.
// - Real-time bytes (0xF8..0xFF) may appear anywhere, even inside a message: ignored, and
//   they do not break running status or a message in progress.
// - System common / SysEx (0xF0..0xF7) cancel running status; SysEx data is skipped until
//   0xF7 or the next status byte. Undefined status bytes are skipped.
// - A data byte with no status to attach to is dropped; a status byte interrupting an
//   incomplete message drops that message.
// - Note-on with velocity 0 is reported as note-off.
// No allocation, no exceptions: safe on the audio thread.
#pragma once
#include <cstdint>

namespace rt_synth::synth {

enum class MidiType : uint8_t {
  kNoteOff, kNoteOn, kPolyPressure, kControlChange, kProgramChange, kChannelPressure, kPitchBend
};

struct MidiEvent {
  MidiType type;
  uint8_t channel;  // 0..15
  uint8_t data1;    // note / controller / program / pressure
  uint8_t data2;    // velocity / value (0 when unused)
  int16_t bend;     // pitch bend −8192..8191 (kPitchBend only)
};

class MidiParser {
 public:
  void reset() noexcept { status_ = 0; needed_ = 0; have_ = 0; in_sysex_ = false; }
  // Feeds one byte; returns true and fills `ev` when it completes a message.
  bool feed(uint8_t byte, MidiEvent& ev) noexcept;

 private:
  uint8_t status_ = 0;  // running status (0 = none)
  uint8_t data_[2] = {0, 0};
  int needed_ = 0, have_ = 0;
  bool in_sysex_ = false;
};

}  // namespace rt_synth::synth
