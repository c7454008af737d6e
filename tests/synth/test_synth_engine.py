"""Synth engine behaviour from Python (docs/synth-engine.md): deterministic renders (byte-equal,
block-size independent), a 4-note chord shows 4 fundamentals, a pitch bend moves f0 by the
right number of cents, sustain pedal, no clicks at note on / off / steal (bounded
sample-to-sample step), legato glide, voice stealing counts, garbage MIDI and NaN/Inf never
leave NaN in the output, and the `rt-synth render` command."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from rt_synth.synth.engine import (control_change, load_engine, note_off, note_on, pitch_bend,
                                   render_events)

SR = 48000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def clean_model(tmp_path_factory):
    pytest.importorskip("torch")
    from make_test_model import make
    return str(make(tmp_path_factory.mktemp("synth_clean") / "clean.rtsynth", "small", seed=1, clean=True))


def engine(model, voices=8, **params):
    e = load_engine(model, voices=voices)
    params.setdefault("output_gain_db", -12.0)  # keep the limiter out of the measurements
    for k, v in params.items():
        e.set_param(k, v)
    e.process(e.hop)  # apply the queued parameters
    return e


def spectrum(y, n=SR):
    seg = y[:n] * np.hanning(len(y[:n]))
    mag = np.abs(np.fft.rfft(seg, n=4 * len(seg)))
    return np.fft.rfftfreq(4 * len(seg), 1 / SR), mag


def peak_freq(y, lo, hi):
    f, m = spectrum(y)
    sel = np.where((f >= lo) & (f <= hi))[0]
    i = sel[np.argmax(m[sel])]
    a, b, c = np.log(m[i - 1: i + 2] + 1e-12)
    return f[i] + 0.5 * (a - c) / (a - 2 * b + c) * (f[1] - f[0])


def piece():
    ev = []
    for i, n in enumerate((48, 55, 60, 64, 67)):
        ev.append((1000 + 10 * i, note_on(n, 90 + i)))
    ev += [(20000, pitch_bend(0.3)), (30000, control_change(1, 90)), (40000, control_change(64, 127))]
    ev += [(45000 + 5 * i, note_off(n)) for i, n in enumerate((48, 55, 60, 64, 67))]
    ev += [(50000 + 1500 * i, note_on(60 + (i * 7) % 24, 100)) for i in range(16)]
    ev += [(76000, control_change(64, 0)), (76000, pitch_bend(0.0))]
    ev += [(77000 + 100 * i, note_off(60 + (i * 7) % 24)) for i in range(16)]
    return ev


def test_render_deterministic_and_block_independent(synth_model):
    e = engine(synth_model)
    a = render_events(e, piece(), 100000, 64)
    b = render_events(e, piece(), 100000, 64)
    c = render_events(e, piece(), 100000, 333)
    assert np.abs(a).max() > 1e-2
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() == c.tobytes()


def test_cli_render_byte_equal(synth_model, tmp_path):
    from mido import Message, MidiFile, MidiTrack
    mid = MidiFile()
    tr = MidiTrack()
    mid.tracks.append(tr)
    for n in (60, 64, 67):
        tr.append(Message("note_on", note=n, velocity=100, time=0))
    tr.append(Message("pitchwheel", pitch=2000, time=240))
    for i, n in enumerate((60, 64, 67)):
        tr.append(Message("note_off", note=n, velocity=0, time=480 if i == 0 else 0))
    path = tmp_path / "in.mid"
    mid.save(str(path))
    outs = []
    for k, block in enumerate((64, 500)):
        out = tmp_path / f"out{k}.wav"
        r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "render", synth_model, "--midi", str(path),
                            "--out", str(out), "--block", str(block)], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0, r.stdout + r.stderr
        outs.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert outs[0] == outs[1]


def test_chord_shows_four_fundamentals(clean_model):
    e = engine(clean_model)
    notes = (60, 64, 67, 71)
    y = render_events(e, [(0, note_on(n, 100)) for n in notes], 2 * SR, 256)
    f, m = spectrum(y[SR // 2: SR // 2 + SR])
    sel = (f > 150) & (f < 2000)
    loc = np.where(sel[1:-1] & (m[1:-1] > m[:-2]) & (m[1:-1] > m[2:]))[0] + 1
    top = np.sort(f[loc[np.argsort(m[loc])[::-1][:4]]])
    expected = 440 * 2 ** ((np.array(notes) - 69) / 12)
    assert np.all(np.abs(top - expected) < 1.0), (top, expected)


@pytest.mark.parametrize("bend,range_st,cents", [(0.5, 2.0, 100.0), (-1.0, 12.0, -1200.0), (0.25, 7.0, 175.0)])
def test_pitch_bend_cents(clean_model, bend, range_st, cents):
    e = engine(clean_model, bend_range_semitones=range_st)
    y = render_events(e, [(0, note_on(69)), (4800, pitch_bend(bend))], 2 * SR, 128)
    target = 440 * 2 ** (cents / 1200)
    f0 = peak_freq(y[SR // 2: SR // 2 + SR], target * 0.9, target * 1.1)
    measured = 1200 * np.log2(f0 / 440)
    assert abs(measured - cents) < 2.0, (measured, cents)


@pytest.mark.parametrize("semis,cents_lsb,bend,cents", [(12, 0, 0.5, 600.0), (12, 0, -1.0, -1200.0),
                                                       (3, 50, 1.0, 350.0)])
def test_rpn0_bend_range_over_midi(clean_model, semis, cents_lsb, bend, cents):
    """RPN 0 (CC101 = 0, CC100 = 0, CC6 = semitones, CC38 = cents) sets the bend range: a bend
    after it moves f0 by bend·range; the default range (2) would give a different pitch."""
    e = engine(clean_model)  # bend_range_semitones left at its default, 2
    rpn = control_change(101, 0) + control_change(100, 0) + control_change(6, semis) + control_change(38, cents_lsb)
    y = render_events(e, [(0, rpn), (0, note_on(69)), (4800, pitch_bend(bend))], 2 * SR, 128)
    assert abs(e.param("bend_range_semitones") - (semis + cents_lsb / 100)) < 1e-5
    target = 440 * 2 ** (cents / 1200)
    f0 = peak_freq(y[SR // 2: SR // 2 + SR], target * 0.9, target * 1.1)
    measured = 1200 * np.log2(f0 / 440)
    assert abs(measured - cents) < 2.0, (measured, cents)


def test_lookahead_render_is_the_plain_render_one_hop_later(synth_model):
    """lookahead_frames=1 (the default for blocks < hop): same samples as lookahead 0 with the
    MIDI one hop later, for any block size; latency reports the hop."""
    from rt_synth.synth.engine import load_engine
    la = load_engine(synth_model, voices=8, max_block=64)
    ref = load_engine(synth_model, voices=8, max_block=64, lookahead_frames=0)
    assert la.lookahead_frames == 1 and la.latency == la.hop and ref.latency == 0
    ev = piece()
    a = render_events(la, ev, 90000, 64)
    b = render_events(ref, [(t + ref.hop, m) for t, m in ev], 90000, 64)
    assert np.abs(b).max() > 1e-2
    assert a.tobytes() == b.tobytes()
    assert render_events(la, ev, 90000, 37).tobytes() == a.tobytes()


def rms(y):
    return float(np.sqrt(np.mean(np.square(y)))) if len(y) else 0.0


def test_sustain_pedal(synth_model):
    e = engine(synth_model, release_s=0.1)
    ev = [(0, control_change(64, 127)), (0, note_on(60)), (SR // 4, note_off(60)),
          (SR, control_change(64, 0))]
    y = render_events(e, ev, 2 * SR, 256)
    held = rms(y[SR // 2: SR])          # key up, pedal down: still sounding
    after = rms(y[SR + SR // 4: 2 * SR])  # pedal up + release 0.1 s: silent
    assert held > 1e-2 and after == 0.0, (held, after)
    # Without the pedal the same note is silent by then.
    y2 = render_events(e, [(0, note_on(60)), (SR // 4, note_off(60))], SR, 256)
    assert rms(y2[SR // 2:]) == 0.0


def max_step(y):
    return float(np.abs(np.diff(y)).max())


def steps(y, windows, order=1):
    return max(float(np.abs(np.diff(y[a:b], n=order)).max()) for a, b in windows)


def assert_no_clicks(y, steady_windows, event_windows):
    """A click is a discontinuity: it shows in the sample-to-sample step and, far more, in
    the second difference (≈ the step itself at a jump, ≤ 2π·f/SR of the step for sound of
    frequency f). Both stay within 2× of the steady sound's (a model's attack may be a bit
    louder than its sustain, a click is 10× and more)."""
    for order in (1, 2):
        steady = steps(y, steady_windows, order)
        ev = steps(y, event_windows, order)
        assert steady > 1e-5
        assert ev <= 2.0 * steady, (order, ev, steady)
    return steps(y, steady_windows, 2)


def test_click_metric_catches_a_hard_cut(clean_model):
    e = engine(clean_model, voices=2)
    y = render_events(e, [(0, note_on(72, 127)), (0, note_on(76, 127))], SR, 64)
    assert_no_clicks(y, [(12000, 24000)], [(24000, 36000)])
    cut = y.copy()
    cut[30000:] *= 0.5  # a voice cut dead would look like this
    with pytest.raises(AssertionError):
        assert_no_clicks(cut, [(12000, 24000)], [(24000, 36000)])


def test_no_clicks_at_note_on_off_and_steal(clean_model):
    e = engine(clean_model, voices=2, attack_s=0.005, release_s=0.05)
    ev = [(1000, note_on(72, 127)), (9000, note_on(76, 127)), (17000, note_on(79, 127)),  # 3rd steals
          (17500, note_on(84, 127)),  # steals again during the fade
          (30000, note_off(72)), (30000, note_off(76)), (30000, note_off(79)), (30000, note_off(84))]
    y = render_events(e, ev, SR, 64)
    assert e.stats()["notes_stolen"] >= 2
    assert_no_clicks(y, [(5000, 9000), (13000, 17000), (23000, 30000)],
                     [(0, 5000), (9000, 13000), (17000, 23000), (30000, SR - 1)])
    # Starts and ends on silence: nothing before the first frame boundary after the note-on,
    # exact zero after the release.
    assert np.all(y[:1000] == 0) and np.all(y[-2000:] == 0)


def test_no_clicks_noisy_model(synth_model):
    e = engine(synth_model, voices=3)
    ev = [(0, note_on(60, 100)), (12000, note_on(62, 100)), (24000, note_on(64, 100)), (36000, note_on(65, 100)),
          (60000, note_off(60)), (60000, note_off(62)), (60000, note_off(64)), (60000, note_off(65))]
    y = render_events(e, ev, 2 * SR, 64)
    assert_no_clicks(y, [(6000, 12000), (18000, 24000), (30000, 36000), (45000, 60000)],
                     [(0, 6000), (12000, 18000), (24000, 30000), (36000, 45000), (60000, 2 * SR - 1)])
    assert np.all(y[-SR // 4:] == 0)


def test_legato_glide_no_retrigger(clean_model):
    e = engine(clean_model, legato=1.0, glide_s=0.05)
    ev = [(0, note_on(60)), (SR // 2, note_on(67)), (SR, note_off(60)), (SR + SR // 2, note_off(67))]
    y = render_events(e, ev, 2 * SR, 256)
    assert e.stats()["notes_stolen"] == 0
    # f0 after the glide is G4, the envelope did not dip at the legato change
    f0 = peak_freq(y[SR // 2 + SR // 8: SR], 350, 450)
    assert abs(1200 * np.log2(f0 / (440 * 2 ** (-2 / 12)))) < 5
    env = np.array([rms(y[i:i + 960]) for i in range(SR // 4, SR, 960)])
    assert env.min() > 0.5 * env.max()
    # Key up of the non-sounding note keeps it going; its own release ends it.
    assert rms(y[SR + SR // 4: SR + SR // 2]) > 1e-3


def test_voice_count_and_stealing(synth_model):
    e = engine(synth_model, voices=4)
    y = render_events(e, [(i * 10, note_on(50 + 2 * i)) for i in range(8)], SR // 2, 128)
    s = e.stats()
    assert s["active_voices"] == 4 and s["notes_stolen"] == 4, s
    assert np.isfinite(y).all()


def test_garbage_midi_and_nan_params(synth_model):
    e = engine(synth_model, output_gain_db=0.0)
    rng = np.random.default_rng(0)
    out = []
    for b in range(400):
        e.push_midi(rng.integers(0, 256, size=int(rng.integers(1, 64)), dtype=np.uint8).tobytes(),
                    int(rng.integers(0, 128)))
        if b % 10 == 0:
            e.set_param("glide_s", float("nan"))
            e.set_param("output_gain_db", float("inf"))
            e.set_param("vibrato_depth_cents", -float("inf"))
        out.append(e.process(int(rng.integers(1, 300))))
    y = np.concatenate(out)
    assert np.isfinite(y).all()
    assert np.abs(y).max() <= 10 ** (-1 / 20) + 1e-6
    assert e.stats()["midi_events"] > 100


def test_params_and_errors(synth_model, tmp_path):
    from rt_synth import _core
    from rt_synth.cli.errors import UserError
    p = _core.synth_params()
    assert p["polyphony"][1:] == (1.0, 32.0, 32.0) and "release_s" in p
    e = engine(synth_model, voices=8, polyphony=50.0)
    assert e.param("polyphony") == 8.0  # clamped to the engine's voices
    with pytest.raises(KeyError):
        e.set_param("no_such_param", 1.0)
    with pytest.raises(UserError):
        load_engine(str(tmp_path / "missing.rtsynth"))
    with pytest.raises(UserError):
        load_engine(synth_model, voices=33)
    with pytest.raises(UserError):
        load_engine(synth_model, sample_rate=44100)
