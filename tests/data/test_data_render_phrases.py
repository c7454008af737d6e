"""render_phrases and Phrase.with_program: the same MIDI on another GM program keeps every
event but the program change, and sounds the same notes at the same times; generate_phrases
is what render_dataset renders."""
from __future__ import annotations

import numpy as np

from rt_synth.data.phrases import TICKS_PER_SECOND
from rt_synth.data.render import generate_phrases, render_phrases
from tests_data_helpers import cents, needs_fluidsynth, stable_frames

SR, HOP = 48000, 192


def test_with_program_changes_only_the_program():
    ph = generate_phrases(73, 5.0, 9137, SR, HOP)[0]  # a flute phrase
    vl = ph.with_program(40)
    a, b = ph.timed_messages(), vl.timed_messages()
    assert len(a) == len(b) and len(ph.notes) > 3
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(diff) == 1
    (t0, m0), (t1, m1) = diff[0]
    assert t0 == t1 == 0 and m0.type == m1.type == "program_change" and (m0.program, m1.program) == (73, 40)
    assert ph.program == 73  # the original is untouched
    assert np.array_equal(ph.f0(HOP), vl.f0(HOP))


def _onset(audio: np.ndarray, threshold: float = 1e-3) -> int:
    """First sample where the 2 ms RMS exceeds -60 dBFS (FluidSynth is silent before a note)."""
    env = np.sqrt(np.convolve(audio.astype(np.float64) ** 2, np.ones(96) / 96, mode="same"))
    return int(np.flatnonzero(env > threshold)[0])


@needs_fluidsynth
def test_same_midi_on_another_program_plays_the_same_notes():
    from rt_synth.dsp.yin import yin_track

    ph = generate_phrases(73, 5.0, 9137, SR, HOP)[0]
    flute, violin = render_phrases([ph, ph.with_program(40)], sample_rate=SR)
    assert len(flute) == len(violin) == ph.n_samples
    # onsets: silence until the first note-on, sound within 30 ms of it (a flute's attack is
    # slower than a violin's), in both renderings
    first = ph.notes[0].on * SR // TICKS_PER_SECOND
    for audio in (flute, violin):
        assert np.abs(audio[:first]).max() < 1e-5
        assert first <= _onset(audio) < first + 3 * SR // 100, (_onset(audio), first)
    # pitch: both follow the ground truth on frames away from note changes
    gt = ph.f0(HOP)
    ok = stable_frames(gt, radius=12)
    assert ok.sum() > 200
    for audio in (flute, violin):
        f0, per = yin_track(audio, SR, HOP, 150.0, 2000.0, 0.15)
        n = min(len(f0), len(gt))
        sel = ok[:n] & (per[:n] > 0.8)
        assert sel.sum() > 0.7 * ok[:n].sum()
        assert np.median(np.abs(cents(f0[:n][sel], gt[:n][sel]))) < 15.0
    # and they are different instruments
    assert not np.allclose(flute, violin, atol=1e-3)


def test_generate_phrases_is_deterministic_and_adds_up():
    a = generate_phrases(40, 30.0, 5, SR, HOP)
    b = generate_phrases(40, 30.0, 5, SR, HOP)
    assert [p.timed_messages() for p in a] == [p.timed_messages() for p in b]
    assert abs(sum(p.n_samples for p in a) / SR - 30.0) < 0.1 and len(a) >= 2
