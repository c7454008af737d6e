"""Phrase generation: musical constraints and the exactness of the ground-truth f0."""
from __future__ import annotations

import mido
import numpy as np
import pytest

from rt_synth.cli.errors import UserError
from rt_synth.data.instruments import instrument_style, resolve_program
from rt_synth.data.phrases import BEND_RANGE, TICKS_PER_SECOND, Note, Phrase, generate_phrase
from rt_synth.data.render import phrase_lengths

SR, HOP = 48000, 192


def _phrase(seed=0, program=40, seconds=15.0):
    rng = np.random.default_rng(seed)
    return generate_phrase(rng, program, instrument_style(program), seconds, SR, HOP)


def test_resolve_program_names_aliases_numbers():
    assert resolve_program("violin") == 40
    assert resolve_program("French Horn") == 60
    assert resolve_program("alto_sax") == 65
    assert resolve_program("73") == 73
    with pytest.raises(UserError, match="0-127"):
        resolve_program("128")
    with pytest.raises(UserError, match="unknown instrument"):
        resolve_program("theremin-x")


@pytest.mark.parametrize("program", [40, 42, 56, 65, 71, 73, 0])
def test_phrase_is_monophonic_in_range_with_rests(program):
    ph = _phrase(seed=program, program=program)
    style = instrument_style(program)
    assert len(ph.notes) >= 8
    for a, b in zip(ph.notes, ph.notes[1:]):
        assert a.off <= b.on, "notes overlap"
    assert all(style.low <= n.pitch <= style.high for n in ph.notes)
    assert all(1 <= n.velocity <= 127 for n in ph.notes)
    gaps = [b.on - a.off for a, b in zip(ph.notes, ph.notes[1:])]
    assert sum(g >= 0.2 * TICKS_PER_SECOND for g in gaps) >= 1, "no rest"
    assert sum(g == 0 for g in gaps) >= 3, "no legato"
    lengths = {n.off - n.on for n in ph.notes}
    assert len(lengths) >= 4, "note lengths not varied"
    assert ph.notes[-1].off <= ph.n_samples * TICKS_PER_SECOND // SR
    assert len({v for _, v in ph.expression}) >= 5, "no dynamics"


def test_midi_file_sets_bend_range_with_rpn0_and_roundtrips(tmp_path):
    ph = _phrase(seed=3)
    path = tmp_path / "p.mid"
    ph.to_midi().save(path)
    msgs = [m for m in mido.MidiFile(path).tracks[0] if not m.is_meta]
    ccs = [(m.control, m.value) for m in msgs if m.type == "control_change"]
    i = ccs.index((101, 0))
    assert ccs[i:i + 4] == [(101, 0), (100, 0), (6, BEND_RANGE), (38, 0)]
    first_note = next(k for k, m in enumerate(msgs) if m.type == "note_on")
    assert any(m.type == "program_change" and m.program == 40 for m in msgs[:first_note])
    assert sum(m.type == "note_on" for m in msgs) == len(ph.notes)
    bends = [m.pitch for m in msgs if m.type == "pitchwheel"]
    assert max(np.abs(bends)) > 100, "no vibrato on a violin"
    # Vibrato stays a vibrato: under 60 cents.
    assert max(np.abs(bends)) / 8192 * BEND_RANGE * 100 < 60


def test_ground_truth_f0_follows_notes_and_bends_exactly():
    # 1 s = 960 ticks = 48000 samples = 250 frames; frame i ends at tick 3.84 (i+1).
    ph = Phrase(program=40, n_samples=2 * SR, sample_rate=SR,
                notes=[Note(96, 480, 69, 100), Note(480, 960, 81, 100)],
                bends=[(96, 0), (300, 4096), (480, 0)], expression=[(0, 100)])
    f0 = ph.f0(HOP)
    assert f0.shape == (500,)
    end_tick = (np.arange(500) + 1) * HOP * TICKS_PER_SECOND / SR
    expect = np.zeros(500)
    expect[(end_tick > 96) & (end_tick <= 300)] = 440.0
    expect[(end_tick > 300) & (end_tick <= 480)] = 440.0 * 2 ** (1 / 12)   # +1 semitone bend
    expect[(end_tick > 480) & (end_tick <= 960)] = 880.0
    np.testing.assert_allclose(f0, expect, rtol=1e-6)


def test_phrase_lengths_add_up():
    rng = np.random.default_rng(0)
    for total in (2.5, 9.0, 21.0, 25.0, 300.0):
        parts = phrase_lengths(total, rng)
        assert abs(sum(parts) - total) < 1e-9
        if total >= 8.0:
            assert all(8.0 - 1e-9 <= p <= 20.0 + 1e-9 for p in parts), parts


SIX = {"violin": 40, "cello": 42, "flute": 73, "clarinet": 71, "trumpet": 56, "alto sax": 65}


@pytest.mark.parametrize("name", sorted(SIX))
def test_six_instruments_play_in_their_range_vibrato_and_dynamics(name):
    """Issue 13: the renderer knows each shipped instrument's range, vibrato and dynamics."""
    program = resolve_program(name)
    assert program == SIX[name]
    style = instrument_style(program)
    low, high, top = style.dynamics
    assert low < high <= top <= 127
    pitches, expr, depth = [], [], []
    for seed in range(6):
        ph = _phrase(seed=seed, program=program, seconds=20.0)
        pitches += [n.pitch for n in ph.notes]
        expr += [v for _, v in ph.expression]
        depth.append(max(abs(v) for _, v in ph.bends) / 8192 * BEND_RANGE * 100 if ph.bends else 0.0)
    assert min(pitches) >= style.low and max(pitches) <= style.high
    assert max(pitches) - min(pitches) >= 0.6 * (style.high - style.low), "the walk stays in one corner"
    assert min(expr) >= round(low) and max(expr) <= round(top), (min(expr), max(expr), style.dynamics)
    assert max(depth) <= 1.2 * style.vibrato_cents[1] + 1.0, (max(depth), style.vibrato_cents)
    if style.vibrato_cents[1] >= 8.0:
        assert max(depth) >= 0.5 * style.vibrato_cents[0], "no vibrato"


def test_dynamic_ranges_differ_like_the_real_instruments():
    def expr_range(program):
        vals = [v for seed in range(6) for _, v in _phrase(seed=seed, program=program, seconds=20.0).expression]
        return min(vals), max(vals)

    clarinet, trumpet, flute = expr_range(71), expr_range(56), expr_range(73)
    assert clarinet[0] < trumpet[0], (clarinet, trumpet)   # the clarinet fades far softer
    assert flute[1] < trumpet[1], (flute, trumpet)         # the flute never gets as loud
    # strings keep the default dynamics, so the shipped violin recipes render as before
    assert instrument_style(40).dynamics == instrument_style(42).dynamics == (45.0, 110.0, 127.0)
