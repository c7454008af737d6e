#include "synth/midi_parser.h"

namespace rt_synth::synth {

namespace {
int dataBytesFor(uint8_t status) {
  switch (status & 0xF0) {
    case 0xC0: case 0xD0: return 1;
    default: return 2;  // 0x80 0x90 0xA0 0xB0 0xE0
  }
}
}  // namespace

bool MidiParser::feed(uint8_t b, MidiEvent& ev) noexcept {
  if (b >= 0xF8) return false;  // real-time: transparent
  if (b >= 0x80) {
    have_ = 0;
    if (b >= 0xF0) {  // system common / SysEx: cancels running status
      status_ = 0;
      needed_ = 0;
      in_sysex_ = (b == 0xF0);
      return false;
    }
    in_sysex_ = false;
    status_ = b;
    needed_ = dataBytesFor(b);
    return false;
  }
  // Data byte.
  if (in_sysex_ || status_ == 0) return false;
  data_[have_++] = b;
  if (have_ < needed_) return false;
  have_ = 0;  // running status: the next data byte starts a new message
  ev.channel = status_ & 0x0F;
  ev.data1 = data_[0];
  ev.data2 = needed_ == 2 ? data_[1] : 0;
  ev.bend = 0;
  switch (status_ & 0xF0) {
    case 0x80: ev.type = MidiType::kNoteOff; break;
    case 0x90: ev.type = ev.data2 == 0 ? MidiType::kNoteOff : MidiType::kNoteOn; break;
    case 0xA0: ev.type = MidiType::kPolyPressure; break;
    case 0xB0: ev.type = MidiType::kControlChange; break;
    case 0xC0: ev.type = MidiType::kProgramChange; break;
    case 0xD0: ev.type = MidiType::kChannelPressure; break;
    default:
      ev.type = MidiType::kPitchBend;
      ev.bend = static_cast<int16_t>((static_cast<int>(data_[1]) << 7 | data_[0]) - 8192);
      break;
  }
  if (ev.type == MidiType::kControlChange) trackRpn(ev);
  return true;
}

void MidiParser::trackRpn(const MidiEvent& cc) noexcept {
  Rpn& r = rpn_[cc.channel & 0x0F];
  switch (cc.data1) {
    case 101: r.msb = cc.data2; break;
    case 100: r.lsb = cc.data2; break;
    case 99: case 98: r.msb = r.lsb = 127; break;  // NRPN selected: RPN data entry off
    case 6: case 38:
      if (r.msb != 0 || r.lsb != 0) break;
      if (cc.data1 == 6) {
        r.semis = cc.data2;
        r.cents = 0;  // MSB resets the fine part (RP-018 practice); CC38 may follow
      } else {
        r.cents = cc.data2 > 99 ? 99 : cc.data2;
      }
      rpn_event_ = cc;
      rpn_event_.type = MidiType::kBendRange;
      rpn_event_.bend = static_cast<int16_t>(r.semis * 100 + r.cents);
      has_rpn_event_ = true;
      break;
    default: break;
  }
}

bool MidiParser::pendingRpn(MidiEvent& ev) noexcept {
  if (!has_rpn_event_) return false;
  has_rpn_event_ = false;
  ev = rpn_event_;
  return true;
}

}  // namespace rt_synth::synth
