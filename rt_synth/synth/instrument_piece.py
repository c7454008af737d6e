"""A short monophonic piece that any DDSP instrument can play in its own register.

`rt-synth demo` plays it on every DDSP instrument it finds, so a musician hears each one on
the same tune. The tune is the closing phrase of the "Ode to Joy" theme (Beethoven, public
domain), 16 beats; it is moved to the key whose middle lies on the pitch the model was trained
around (its file's ``rt_synth.ddsp.f0_midi_mean``), so a cello plays it low and a flute high.
"""
from __future__ import annotations

import numpy as np

# (semitones above the tonic, beats); "E E F G | G F E D | C C D E | D. C C".
TUNE = ((4, 1), (4, 1), (5, 1), (7, 1), (7, 1), (5, 1), (4, 1), (2, 1),
        (0, 1), (0, 1), (2, 1), (4, 1), (4, 1.5), (2, 0.5), (2, 2))
TUNE_CENTRE = 3.5          # the middle of the tune's range (0..7 semitones)
LEGATO = 0.92              # a note sounds for this share of its written length
VELOCITIES = (84, 72, 78, 96, 100, 88, 80, 74, 70, 66, 76, 90, 98, 84, 72)


def tonic_for(f0_midi_mean: float) -> int:
    """The MIDI note of the tonic that centres the tune on `f0_midi_mean` (clamped to 24..96)."""
    if not np.isfinite(f0_midi_mean):
        f0_midi_mean = 66.0
    return int(np.clip(round(f0_midi_mean - TUNE_CENTRE), 24, 96))


def piece_events(tonic: int, sample_rate: int, bpm: float = 112.0,
                 channel: int = 0) -> tuple[list[tuple[int, bytes]], int]:
    """([(sample_time, raw MIDI bytes)], end sample): the tune from `tonic`, one note at a time,
    with an expression swell (CC11) over the phrase and a little vibrato-free legato."""
    beat = 60.0 / bpm * sample_rate
    events: list[tuple[int, bytes]] = [(0, bytes([0xB0 | channel, 11, 100]))]
    t = 0.0
    total = sum(b for _, b in TUNE)
    for (step, beats), vel in zip(TUNE, VELOCITIES):
        note = int(np.clip(tonic + step, 0, 127))
        on, off = int(round(t)), int(round(t + LEGATO * beats * beat))
        events.append((on, bytes([0x90 | channel, note, vel])))
        events.append((off, bytes([0x80 | channel, note, 0])))
        # the phrase swells to its middle and relaxes to its end
        pos = (t / beat) / total
        events.append((on, bytes([0xB0 | channel, 11, int(90 + 37 * np.sin(np.pi * pos))])))
        t += beats * beat
    events.sort(key=lambda e: e[0])
    return events, int(round(t))
