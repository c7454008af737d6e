"""Musical training phrases as MIDI, with their exact ground-truth f0.

A phrase is one monophonic line on MIDI channel 0: legato groups of notes inside the
instrument's range (a random walk on a scale, mostly steps, some leaps), varied note lengths,
rests between groups, vibrato through pitch bend, dynamics through expression (CC11) and
velocity. The pitch-bend range is set with RPN 0 at the start, so the sounding pitch of every
frame is known exactly:

    f0 = 440 · 2^((note + bend/8192 · BEND_RANGE − 69) / 12)        (0 where no note is held)

Time base: 960 ticks per beat at 60 bpm, i.e. 960 ticks per second, so every event time is an
exact rational number of samples at any sample rate.

Frame convention (docs/ddsp-maths.md): frame i covers samples [i·H, (i+1)·H); its ground
truth is the MIDI state in force on the frame's last sample, i.e. after every event whose time
is strictly before (i+1)·H samples.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import mido
import numpy as np

from rt_synth.data.instruments import InstrumentStyle

TICKS_PER_SECOND = 960
TEMPO_US = 1_000_000          # one beat per second: ticks_per_beat = TICKS_PER_SECOND
BEND_RANGE = 2                # semitones, set by RPN 0 (vibrato needs far less)
CHANNEL = 0
BEND_STEP_TICKS = 10          # pitch-bend update period (~10 ms)
EXPRESSION_STEP_TICKS = 20    # CC11 update period (~21 ms)
TAIL_SECONDS = 0.3            # silence after the last note (release tail, f0 = 0)

_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
}
_STEPS = np.array([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5])
_STEP_P = np.array([1, 2, 4, 10, 18, 4, 18, 10, 4, 2, 1], dtype=float)
_STEP_P /= _STEP_P.sum()
_BEATS = np.array([0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])
_BEAT_P = np.array([3, 1, 5, 2, 3, 1, 1], dtype=float)
_BEAT_P /= _BEAT_P.sum()


@dataclass
class Note:
    on: int        # ticks from phrase start
    off: int
    pitch: int
    velocity: int


@dataclass
class Phrase:
    """One phrase: events relative to its own start, and its length in samples."""

    program: int
    n_samples: int
    sample_rate: int
    notes: list = field(default_factory=list)
    bends: list = field(default_factory=list)        # (tick, value −8192..8191)
    expression: list = field(default_factory=list)   # (tick, value 0..127)

    def with_program(self, program: int) -> "Phrase":
        """The same performance (notes, bends, expression, length) on GM program `program`:
        only the program change at tick 0 differs."""
        return replace(self, program=int(program))

    def setup_messages(self) -> list:
        """Program, bend range (RPN 0), controllers to known values: sent at tick 0."""
        cc = lambda c, v: mido.Message("control_change", channel=CHANNEL, control=c, value=v)  # noqa: E731
        return [
            mido.Message("program_change", channel=CHANNEL, program=self.program),
            cc(121, 0),                                   # reset all controllers
            cc(101, 0), cc(100, 0), cc(6, BEND_RANGE), cc(38, 0),   # RPN 0 = bend range
            cc(101, 127), cc(100, 127),                   # RPN null: no later data entry
            cc(1, 0), cc(64, 0), cc(7, 100),
            cc(11, self.expression[0][1] if self.expression else 100),
            mido.Message("pitchwheel", channel=CHANNEL, pitch=0),
        ]

    def timed_messages(self) -> list:
        """[(tick, order, message)] sorted; at equal ticks: setup, note-off, controllers,
        note-on (so a legato note change never holds two notes)."""
        out = [(0, 0, i, m) for i, m in enumerate(self.setup_messages())]
        for n in self.notes:
            out.append((n.off, 1, 0, mido.Message("note_off", channel=CHANNEL, note=n.pitch,
                                                  velocity=0)))
            out.append((n.on, 3, 0, mido.Message("note_on", channel=CHANNEL, note=n.pitch,
                                                 velocity=n.velocity)))
        for t, v in self.bends:
            out.append((t, 2, 0, mido.Message("pitchwheel", channel=CHANNEL, pitch=int(v))))
        for t, v in self.expression:
            out.append((t, 2, 1, mido.Message("control_change", channel=CHANNEL, control=11,
                                              value=int(v))))
        out.sort(key=lambda e: (e[0], e[1], e[2]))
        return [(t, m) for t, _, _, m in out]

    def to_midi(self) -> mido.MidiFile:
        return messages_to_midi([(t, m) for t, m in self.timed_messages()],
                                self.n_samples * TICKS_PER_SECOND // self.sample_rate)

    def f0(self, hop: int) -> np.ndarray:
        """Ground-truth f0 in Hz per frame [n_samples // hop], 0 where no note is held."""
        n_frames = self.n_samples // hop
        # Compare times exactly as integers: tick·SR against sample·TICKS_PER_SECOND.
        end = (np.arange(n_frames, dtype=np.int64) + 1) * hop * TICKS_PER_SECOND
        pitch = np.zeros(n_frames)
        held = np.zeros(n_frames, dtype=bool)
        for n in self.notes:
            on = (n.on * self.sample_rate < end) & (n.off * self.sample_rate >= end)
            pitch[on] = n.pitch
            held |= on
        bend = np.zeros(n_frames)
        if self.bends:
            ticks = np.array([t for t, _ in self.bends], dtype=np.int64) * self.sample_rate
            values = np.array([v for _, v in self.bends], dtype=float)
            idx = np.searchsorted(ticks, end, side="left") - 1
            bend = np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0)
        semis = pitch + bend / 8192.0 * BEND_RANGE
        f0 = 440.0 * 2.0 ** ((semis - 69.0) / 12.0)
        return np.where(held, f0, 0.0).astype(np.float32)


def messages_to_midi(timed: list, end_tick: int | None = None) -> mido.MidiFile:
    """[(absolute tick, message)] (sorted) → a type-0 MIDI file at 960 ticks per second."""
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_SECOND)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
    now = 0
    for tick, msg in timed:
        track.append(msg.copy(time=int(tick - now)))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, int((end_tick or now) - now))))
    return mid


def generate_phrase(rng: np.random.Generator, program: int, style: InstrumentStyle,
                    seconds: float, sample_rate: int, hop: int) -> Phrase:
    """One phrase of about `seconds` (rounded to whole frames)."""
    n_samples = max(hop, int(round(seconds * sample_rate / hop)) * hop)
    seconds = n_samples / sample_rate
    tps = TICKS_PER_SECOND
    tail = min(TAIL_SECONDS, 0.15 * seconds)
    end_tick = int((seconds - tail) * tps)
    phrase = Phrase(program=program, n_samples=n_samples, sample_rate=sample_rate)

    tonic = int(rng.integers(12))
    scale = _SCALES[list(_SCALES)[int(rng.integers(len(_SCALES)))]]
    pitches = [p for p in range(style.low, style.high + 1) if (p - tonic) % 12 in scale]
    beat = rng.uniform(0.35, 0.8)                       # seconds per beat
    vib_depth = rng.uniform(*style.vibrato_cents)
    vib_rate = rng.uniform(*style.vibrato_hz)
    # Start somewhere in the middle half of the range; the walk reaches the rest.
    idx = int(rng.integers(len(pitches) // 4, max(len(pitches) // 4 + 1, 3 * len(pitches) // 4)))

    t = int(rng.uniform(0.02, 0.25) * tps)
    while t < end_tick:
        group = int(rng.integers(3, 11))
        expr = _expression_shape(rng, style.dynamics)
        group_start = t
        group_notes = []
        for _ in range(group):
            dur = max(0.12, float(rng.choice(_BEATS, p=_BEAT_P)) * beat * rng.uniform(0.9, 1.1))
            length = int(dur * tps)
            if t + length > end_tick:
                length = end_tick - t
                if length < int(0.12 * tps):
                    break
            if rng.random() < 0.06:                     # occasional leap across the range
                idx += int(rng.integers(-7, 8))
            else:
                idx += int(rng.choice(_STEPS, p=_STEP_P))
            idx = _reflect(idx, len(pitches))
            sounding = length if rng.random() > 0.2 else int(length * rng.uniform(0.75, 0.92))
            group_notes.append(Note(t, t + sounding, pitches[idx], 0))
            t += length
        if not group_notes:
            break
        _shape_group(phrase, group_notes, expr, group_start, t, rng)
        for n in group_notes:
            _vibrato(phrase, n, vib_depth, vib_rate, rng)
        phrase.notes.extend(group_notes)
        t += int(rng.uniform(0.2, 1.3) * tps)           # rest (breath, bow change)
    if not phrase.expression:
        phrase.expression.append((0, 100))
    phrase.bends = _dedupe(phrase.bends)
    phrase.expression = _dedupe(phrase.expression)
    return phrase


def _reflect(i: int, n: int) -> int:
    if n <= 1:
        return 0
    period = 2 * (n - 1)
    i %= period
    return i if i < n else period - i


def _expression_shape(rng, dynamics: tuple = (45.0, 110.0, 127.0)) -> tuple:
    """(start, peak, end, peak position in 0..1) of a group's CC11 swell inside the
    instrument's dynamics (low, high, top): start/end in [low, high], peak in [max, top]."""
    low, high, top = dynamics
    start, end = rng.uniform(low, high, size=2)
    peak = rng.uniform(max(start, end), top)
    return start, peak, end, rng.uniform(0.2, 0.8)


def _shape_group(phrase: Phrase, notes: list, shape: tuple, t0: int, t1: int, rng) -> None:
    start, peak, end, where = shape
    span = max(1, t1 - t0)
    ticks = np.arange(t0, t1, EXPRESSION_STEP_TICKS)
    x = (ticks - t0) / span
    curve = np.where(x < where, start + (peak - start) * x / where,
                     peak + (end - peak) * (x - where) / (1 - where))
    for tick, v in zip(ticks.tolist(), curve.tolist()):
        phrase.expression.append((tick, int(np.clip(round(v), 0, 127))))
    for n in notes:
        x = (n.on - t0) / span
        level = start + (peak - start) * x / where if x < where else \
            peak + (end - peak) * (x - where) / (1 - where)
        n.velocity = int(np.clip(round(0.6 * level + rng.uniform(20, 50)), 25, 127))


def _vibrato(phrase: Phrase, note: Note, depth_cents: float, rate_hz: float, rng) -> None:
    """Bend 0 at the note's start, then a sine fading in after a short delay."""
    phrase.bends.append((note.on, 0))
    if depth_cents <= 0:
        return
    tps = TICKS_PER_SECOND
    delay, ramp = rng.uniform(0.1, 0.35) * tps, rng.uniform(0.15, 0.4) * tps
    depth = depth_cents * rng.uniform(0.7, 1.2)
    rate = rate_hz * rng.uniform(0.95, 1.05)
    phase = rng.uniform(0, 2 * np.pi)
    ticks = np.arange(note.on + BEND_STEP_TICKS, note.off, BEND_STEP_TICKS)
    env = np.clip((ticks - note.on - delay) / ramp, 0.0, 1.0)
    cents = depth * env * np.sin(2 * np.pi * rate * (ticks - note.on) / tps + phase)
    values = np.clip(np.round(cents / (100.0 * BEND_RANGE) * 8192), -8192, 8191)
    phrase.bends.extend(zip(ticks.tolist(), values.astype(int).tolist()))


def _dedupe(events: list) -> list:
    """Sort by time, keep the last value per tick, drop values that do not change."""
    last_per_tick = {}
    for t, v in events:
        last_per_tick[t] = v
    out, prev = [], None
    for t in sorted(last_per_tick):
        v = last_per_tick[t]
        if v != prev:
            out.append((t, v))
            prev = v
    return out
