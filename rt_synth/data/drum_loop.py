"""A drum loop on the General MIDI percussion kit (MIDI channel 10), as MIDI.

A one-bar 4/4 groove on a sixteenth-note grid (kick, snare, hi-hat; open hi-hat, toms, clap
and crash as variations), repeated with per-bar variations and fills and humanised
velocities, at a tempo drawn from 90-130 bpm. It renders like a phrase
(rt_synth.data.render.render_phrases: `n_samples` and `timed_messages()`), and is what an
unpitched input sounds like: transients and noise, no f0.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import mido
import numpy as np

from rt_synth.data.phrases import TICKS_PER_SECOND, messages_to_midi

DRUM_CHANNEL = 9  # MIDI channel 10: the GM percussion kit in every GM soundfont
KICK, SNARE, CLAP, CLOSED_HAT, OPEN_HAT, LOW_TOM, HIGH_TOM, CRASH = 36, 38, 39, 42, 46, 45, 50, 49
HIT_SECONDS = 0.1  # note-off after each hit (GM drums ignore note-offs; sent for tidiness)


@dataclass
class DrumLoop:
    """Hits (tick, GM percussion key, velocity) on channel 10 and the loop's length in samples."""

    n_samples: int
    sample_rate: int
    hits: list = field(default_factory=list)

    def timed_messages(self) -> list:
        """[(tick, message)] sorted: controller reset at tick 0, then note-on/off pairs."""
        out = [(0, 0, mido.Message("control_change", channel=DRUM_CHANNEL, control=121, value=0)),
               (0, 0, mido.Message("control_change", channel=DRUM_CHANNEL, control=7, value=100))]
        off = int(HIT_SECONDS * TICKS_PER_SECOND)
        for tick, key, vel in self.hits:
            out.append((tick, 2, mido.Message("note_on", channel=DRUM_CHANNEL, note=key, velocity=vel)))
            out.append((tick + off, 1, mido.Message("note_off", channel=DRUM_CHANNEL, note=key, velocity=0)))
        out.sort(key=lambda e: (e[0], e[1], e[2].note if hasattr(e[2], "note") else -1))
        return [(t, m) for t, _, m in out]

    def to_midi(self) -> mido.MidiFile:
        return messages_to_midi(self.timed_messages(), self.n_samples * TICKS_PER_SECOND // self.sample_rate)


def generate_drum_loop(rng: np.random.Generator, seconds: float, sample_rate: int = 48000) -> DrumLoop:
    """About `seconds` of groove (the last hit at least 0.5 s before the end: decay tail)."""
    n_samples = int(round(seconds * sample_rate))
    bpm = rng.uniform(90.0, 130.0)
    step = 60.0 / bpm / 4  # seconds per sixteenth
    last = seconds - 0.5
    loop = DrumLoop(n_samples=n_samples, sample_rate=sample_rate)
    n_steps = int(last / step)
    for s in range(n_steps):
        beat_pos, bar = s % 16, s // 16
        t = s * step + (rng.normal(0.0, 0.004) if s else 0.0)  # a little timing looseness
        tick = max(0, int(round(t * TICKS_PER_SECOND)))
        hits = []
        fill = bar % 4 == 3 and beat_pos >= 12
        if fill:  # the last beat of every fourth bar: a tom fill
            hits.append((HIGH_TOM if beat_pos < 14 else LOW_TOM, rng.integers(80, 120)))
        else:
            if beat_pos in (0, 8) or (beat_pos in (6, 10, 14) and rng.random() < 0.25):
                hits.append((KICK, rng.integers(95, 127)))
            if beat_pos in (4, 12):
                hits.append((SNARE if rng.random() > 0.15 else CLAP, rng.integers(90, 125)))
            elif rng.random() < 0.06:
                hits.append((SNARE, rng.integers(35, 60)))  # ghost note
            if beat_pos % 2 == 0:
                hat = OPEN_HAT if beat_pos == 14 and rng.random() < 0.4 else CLOSED_HAT
                hits.append((hat, rng.integers(60, 100) if beat_pos % 4 else rng.integers(85, 115)))
        if beat_pos == 0 and bar % 4 == 0:
            hits.append((CRASH, rng.integers(90, 120)))
        loop.hits.extend((tick, int(k), int(v)) for k, v in hits)
    return loop
