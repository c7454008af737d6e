"""Python side of the synth engine (docs/synth-engine.md): load a model into the C++
``SynthEngine``, turn a MIDI file into timed raw MIDI events, render offline."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rt_synth.errors import UserError


def load_engine(model_path, voices: int = 8, max_block: int = 4096, sample_rate: int | None = None,
                lookahead_frames: int = -1):
    """A prepared ``rt_synth._core.SynthEngine``. Errors name the file and the fix."""
    from rt_synth import _core

    path = Path(model_path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file (export one with `rt-synth export`, "
                        "or use exports/violin-live-ddsp.rtsynth)")
    if not 1 <= voices <= 32:
        raise UserError(f"--voices must be in 1..32, got {voices}")
    try:
        eng = _core.SynthEngine(str(path), voices)
        eng.prepare(float(sample_rate or eng.sample_rate), max_block, lookahead_frames)
    except RuntimeError as exc:
        raise UserError(f"{path}: {exc}") from None
    return eng


def load_host_engine(model_path, voices: int = 8, sample_rate: int | None = None, max_block: int = 4096,
                     mode: str = "synth", lookahead_frames: int = -1):
    """A prepared ``rt_synth._core.Engine`` (MIDI synth or timbre transfer, any host rate:
    44.1/88.2/96 kHz go through the core's resamplers). ``lookahead_frames`` -1 = auto (on
    when max_block < hop: one frame of added latency, flat per-block cost)."""
    from rt_synth import _core

    path = Path(model_path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file (export one with `rt-synth export`, "
                        "or use exports/violin-live-ddsp.rtsynth)")
    if not 1 <= voices <= 32:
        raise UserError(f"--voices must be in 1..32, got {voices}")
    try:
        eng = _core.Engine(str(path), voices, lookahead_frames)
        eng.prepare(float(sample_rate or eng.model_rate), max_block)
        eng.set_mode(mode)
    except (RuntimeError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None
    return eng


def midi_file_events(midi_path, sample_rate: int = 48_000):
    """[(sample_time, bytes)] of every channel message in a MIDI file (tracks merged, tempo
    map applied), sorted by time, and the time of the last event in samples."""
    import mido

    path = Path(midi_path)
    if not path.is_file():
        raise UserError(f"{path}: no such MIDI file")
    try:
        mid = mido.MidiFile(str(path))
    except Exception as exc:  # mido raises a variety of errors on bad files
        raise UserError(f"{path}: not a readable MIDI file ({exc})") from None
    events, t = [], 0.0
    for msg in mid:  # merged, msg.time in seconds
        t += msg.time
        if not msg.is_meta and msg.type != "sysex":
            events.append((int(round(t * sample_rate)), bytes(msg.bytes())))
    end = events[-1][0] if events else 0
    return events, end


def render_events(engine, events, n_samples: int, block: int = 256) -> np.ndarray:
    """Offline render of timed raw MIDI, pushed block by block with sample offsets exactly
    like a host does (the result does not depend on `block`)."""
    engine.reset()
    return engine.render(list(events), int(n_samples), int(block))


def render_midi(model_path, midi_path, voices: int = 8, block: int = 256, tail_s: float = 1.5,
                params: dict | None = None):
    """(audio float32, sample_rate): a MIDI file played by the engine, with `tail_s` of
    release after the last event."""
    # Offline: no deadline, so no lookahead (the same samples for every block size, no added delay).
    eng = load_engine(model_path, voices=voices, max_block=max(block, 1), lookahead_frames=0)
    for name, value in (params or {}).items():
        eng.set_param(name, float(value))
    sr = eng.sample_rate
    events, end = midi_file_events(midi_path, sr)
    eng.process(eng.hop)  # apply queued parameters before the render's reset
    audio = render_events(eng, events, end + int(tail_s * sr), block)
    return audio, sr


def note_on(note: int, velocity: int = 100, channel: int = 0) -> bytes:
    return bytes([0x90 | (channel & 15), note & 127, velocity & 127])


def note_off(note: int, channel: int = 0) -> bytes:
    return bytes([0x80 | (channel & 15), note & 127, 0])


def pitch_bend(value: float, channel: int = 0) -> bytes:
    """value in −1..1 → 14-bit pitch bend."""
    v = int(round(np.clip(value, -1.0, 1.0 - 1 / 8192) * 8192)) + 8192
    return bytes([0xE0 | (channel & 15), v & 127, (v >> 7) & 127])


def control_change(cc: int, value: int, channel: int = 0) -> bytes:
    return bytes([0xB0 | (channel & 15), cc & 127, value & 127])
