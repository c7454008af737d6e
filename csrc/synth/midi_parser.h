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
// - RPN 0 (pitch-bend sensitivity): CC101 = 0, CC100 = 0 select it (per channel), then data
//   entry CC6 = semitones and CC38 = cents. Each data entry is reported as a kBendRange event
//   (bend = the range in cents, semitones·100 + cents) after its control change; the CC
//   itself is still reported. RPN 127/127 (null) or an NRPN (CC99/98) deselects it.
// No allocation, no exceptions: safe on the audio thread.
#pragma once
#include <cstdint>

namespace rt_synth::synth {

enum class MidiType : uint8_t {
  kNoteOff, kNoteOn, kPolyPressure, kControlChange, kProgramChange, kChannelPressure, kPitchBend,
  kBendRange  // RPN 0 data entry: bend = range in cents
};

struct MidiEvent {
  MidiType type;
  uint8_t channel;  // 0..15
  uint8_t data1;    // note / controller / program / pressure
  uint8_t data2;    // velocity / value (0 when unused)
  int16_t bend;     // pitch bend −8192..8191 (kPitchBend); range in cents (kBendRange)
};

class MidiParser {
 public:
  void reset() noexcept {
    status_ = 0; needed_ = 0; have_ = 0; in_sysex_ = false; has_rpn_event_ = false;
    for (auto& r : rpn_) r = Rpn();
  }
  // Feeds one byte; returns true and fills `ev` when it completes a message.
  bool feed(uint8_t byte, MidiEvent& ev) noexcept;
  // After feed() returned an event: true (once) and fills `ev` when that message also
  // completed an RPN 0 data entry (a kBendRange event).
  bool pendingRpn(MidiEvent& ev) noexcept;

 private:
  uint8_t status_ = 0;  // running status (0 = none)
  uint8_t data_[2] = {0, 0};
  int needed_ = 0, have_ = 0;
  bool in_sysex_ = false;
  struct Rpn {
    uint8_t msb = 127, lsb = 127;  // selected RPN (127/127 = none)
    uint8_t semis = 2, cents = 0;  // last data entry
  };
  Rpn rpn_[16];
  bool has_rpn_event_ = false;
  MidiEvent rpn_event_{};
  void trackRpn(const MidiEvent& cc) noexcept;
};

}  // namespace rt_synth::synth
