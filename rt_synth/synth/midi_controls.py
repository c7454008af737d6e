"""A monophonic MIDI line → per-frame DDSP controls (f0 in Hz, loudness in dB).

Last-note priority with legato (a new note while one is held changes pitch without a new
attack), pitch bend (range set by RPN 0, default ±2 semitones), expression (CC11) and
velocity scaling loudness, and linear attack/release ramps in dB so notes never click.
The polyphonic engine of the core replaces this for live playing; offline rendering of a
single line uses it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LoudnessMap:
    """How velocity × expression maps to model loudness (dB): a straight line between the
    quiet and loud ends of the model's training range."""
    quiet_db: float = -45.0
    loud_db: float = -12.0
    silence_db: float = -100.0
    attack_s: float = 0.03
    release_s: float = 0.12

    @classmethod
    def from_model(cls, loudness_mean: float, loudness_std: float) -> "LoudnessMap":
        return cls(quiet_db=max(-80.0, loudness_mean - 1.5 * loudness_std),
                   loud_db=min(-3.0, loudness_mean + 1.5 * loudness_std))


def midi_file_to_controls(path, sample_rate: int = 48_000, hop: int = 192,
                          loudness: LoudnessMap | None = None, tail_s: float = 0.5):
    """Returns (f0_hz [F], loudness_db [F]) float32 per frame of `hop` samples."""
    import mido

    loudness = loudness or LoudnessMap()
    mid = mido.MidiFile(str(path))
    events = []  # (time_s, msg)
    t = 0.0
    for msg in mid:  # merged tracks, msg.time in seconds
        t += msg.time
        if not msg.is_meta:
            events.append((t, msg))
    end = (events[-1][0] if events else 0.0) + tail_s
    frames = int(np.ceil(end * sample_rate / hop)) + 1
    f0 = np.zeros(frames, np.float32)
    ld = np.full(frames, loudness.silence_db, np.float32)

    held: list[tuple[int, int]] = []  # (note, velocity), last = sounding
    bend, bend_range, expr = 0.0, 2.0, 1.0
    rpn = [127, 127]
    level_db = loudness.silence_db
    last_note = 69
    ev = 0
    frame_s = hop / sample_rate
    attack_step = (loudness.loud_db - loudness.silence_db) * frame_s / loudness.attack_s
    release_step = (loudness.loud_db - loudness.silence_db) * frame_s / loudness.release_s
    for i in range(frames):
        t_frame = i * frame_s
        while ev < len(events) and events[ev][0] <= t_frame:
            msg = events[ev][1]
            ev += 1
            if msg.type == "note_on" and msg.velocity > 0:
                held = [h for h in held if h[0] != msg.note] + [(msg.note, msg.velocity)]
            elif msg.type in ("note_off", "note_on"):
                held = [h for h in held if h[0] != msg.note]
            elif msg.type == "pitchwheel":
                bend = msg.pitch / 8192.0
            elif msg.type == "control_change":
                if msg.control == 11:
                    expr = msg.value / 127.0
                elif msg.control in (101, 100):
                    rpn[0 if msg.control == 101 else 1] = msg.value
                elif msg.control == 6 and rpn == [0, 0]:
                    bend_range = float(msg.value)
                elif msg.control in (120, 123):
                    held = []
        if held:
            last_note, vel = held[-1]
            x = (vel / 127.0) * expr
            target = loudness.quiet_db + (loudness.loud_db - loudness.quiet_db) * x
            level_db = min(level_db + attack_step, target) if level_db < target else max(
                level_db - release_step, target)
        else:
            level_db = max(level_db - release_step, loudness.silence_db)
        f0[i] = 440.0 * 2 ** ((last_note + bend * bend_range - 69) / 12)
        ld[i] = level_db
    return f0, ld
