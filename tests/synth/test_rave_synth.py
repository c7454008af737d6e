"""The pitched RAVE model played from MIDI (csrc/kinds/rave/rave_synth.*, `_core.RaveSynth`,
`rt-synth render` / `rt-synth live` on a rave file; docs/rave-engine.md "Playing from MIDI"),
with the shipped exports/violin-rave.rtsynth: notes in tune (pYIN), legato without an envelope
gap, silence after the release, velocity and CCs audible, the same samples for every block
size, bounded output on any MIDI, the onset exactly at latency(), and the C++ real-time test
(zero allocations in process)."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.synth.engine import control_change, note_off, note_on, pitch_bend

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "exports" / "violin-rave.rtsynth"
SR = 48000

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="exports/violin-rave.rtsynth not in this checkout")


def synth(**params):
    s = _core.RaveSynth(str(MODEL))
    s.prepare(SR, 4096)
    for k, v in params.items():
        setattr(s, k, v)
    return s


def at(seconds):
    return int(round(seconds * SR))


def rms_db(y, w=480):
    """RMS per window of w samples, dB (−200 for exact silence)."""
    n = len(y) // w * w
    r = np.sqrt((np.asarray(y[:n], np.float64).reshape(-1, w) ** 2).mean(1))
    return 20 * np.log10(np.maximum(r, 1e-10))


def cents_of(y, spans):
    """[(start, end, note)] → per span the pYIN f0 errors (cents) over voiced frames in it."""
    from rt_synth.eval.pyin import HOP_LENGTH, pyin

    f, v = pyin(y, SR)
    t = np.arange(len(f)) * HOP_LENGTH
    out = []
    for a, b, note in spans:
        sel = (t >= a) & (t <= b) & v
        out.append(1200 * np.log2(f[sel] / (440 * 2 ** ((note - 69) / 12))))
    return out


def test_midi_file_melody_in_tune_through_render_cli(tmp_path):
    """`rt-synth render violin-rave --midi song.mid`: each note at its pitch (pYIN median error
    <= 25 cents per note, over its voiced frames after the latency and an attack margin)."""
    import mido
    import soundfile as sf

    from rt_synth.cli.main import main

    notes = [55, 62, 67, 71, 74, 79, 83, 64]  # G3 .. B5, the violin's range
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=500000))  # 120 bpm: 480 ticks = 0.5 s
    for n in notes:
        tr.append(mido.Message("note_on", note=n, velocity=96, time=0))
        tr.append(mido.Message("note_off", note=n, velocity=0, time=300))  # 0.3125 s
        tr.append(mido.Message("note_on", note=n, velocity=0, time=0))  # velocity-0 note-off too
    song, out = tmp_path / "song.mid", tmp_path / "out.wav"
    mid.save(str(song))
    assert main(["render", "violin-rave", "--midi", str(song), "--out", str(out), "--tail", "0.3"]) == 0
    y, sr = sf.read(str(out), dtype="float32")
    assert sr == SR and np.isfinite(y).all() and 0.05 < np.abs(y).max() <= 1.0
    L = _core.RaveSynth(str(MODEL)).latency
    dur = at(0.3125)
    spans = [(i * dur + L + at(0.06), (i + 1) * dur + L - at(0.02), n) for i, n in enumerate(notes)]
    errs = cents_of(y, spans)
    medians = [float(np.median(np.abs(e))) if len(e) else np.inf for e in errs]
    print("per-note median |error| (cents):", np.round(medians, 1), "voiced frames:", [len(e) for e in errs])
    assert all(len(e) >= 10 for e in errs), [len(e) for e in errs]
    assert max(medians) <= 25.0, medians
    assert np.median(np.abs(np.concatenate(errs))) <= 25.0


def envelope_phrase(legato: bool, block=256):
    """A4 then E5: overlapping by 0.3 s (legato) or A4 released 0.2 s before E5 (longer than the release)."""
    s = synth()
    a_off = at(0.8) if legato else at(0.3)
    ev = [(at(0.05), note_on(69, 100)), (at(0.5), note_on(76, 100)), (a_off, note_off(69)), (at(1.1), note_off(76))]
    return s, np.asarray(s.render(ev, at(1.5), block))


def test_legato_changes_pitch_without_an_envelope_gap():
    s, y = envelope_phrase(legato=True)
    L = s.latency
    env = rms_db(y[at(0.05) + L + at(0.03):at(1.1) + L])  # from the end of the attack to the note-off
    assert env.max() - env.min() < 3.0, (env.min(), env.max())  # no dip at the note change
    errs = cents_of(y, [(at(0.15) + L, at(0.5) + L - 480, 69), (at(0.6) + L, at(1.1) + L, 76)])
    print("legato: A4 median", np.median(errs[0]), "E5 median", np.median(errs[1]), "envelope range",
          env.max() - env.min())
    assert abs(np.median(errs[0])) <= 25 and abs(np.median(errs[1])) <= 25
    # Detached (released before the next note), the same notes do dip: the check above can fail.
    _, d = envelope_phrase(legato=False)
    envd = rms_db(d[at(0.05) + L + at(0.03):at(1.1) + L])
    assert envd.max() - envd.min() > 10.0, (envd.min(), envd.max())


def test_note_off_release_then_exact_silence_and_no_click():
    s = synth()
    L, rel = s.latency, s.release
    on, off = at(0.05), at(0.5)
    y = np.asarray(s.render([(on, note_on(62, 110)), (off, note_off(62))], at(1.2), 256))
    assert np.all(y[:on + L] == 0.0) and y[on + L] != 0.0  # exactly latency() after the event
    end = off + L + int(np.ceil(rel * SR)) + 1
    assert np.abs(y[off + L:off + L + at(rel / 2)]).max() > 0.01  # the release sounds...
    assert np.all(y[end:] == 0.0)  # ...and is over on time: exact silence
    steady = np.abs(np.diff(y[on + L + at(0.05):off])).max()
    onset = np.abs(np.diff(y[on + L - 10:on + L + 480])).max()
    release = np.abs(np.diff(y[off + L - 10:end + 10])).max()
    print(f"max |diff|: steady {steady:.4f}, onset {onset:.4f}, release {release:.4f}")
    assert onset <= 1.5 * steady and release <= 1.5 * steady  # ramps, no clicks


def test_velocity_sets_the_level():
    levels = {}
    for v in (30, 110):
        s = synth()
        y = np.asarray(s.render([(0, note_on(67, v)), (at(0.6), note_off(67))], at(0.6), 512))
        levels[v] = 20 * np.log10(np.sqrt(np.mean(y[at(0.1):] ** 2)))
    print("RMS dB at velocity 30 / 110:", levels)
    assert levels[110] - levels[30] > 15.0  # (110/30)^2 = 22.6 dB by design


def test_cc_latent_offsets_change_the_output_and_cc121_restores():
    """CC 17 (offset of latent control 1) moves the sound; CC 121 brings the default back."""
    def play(pre):
        s = synth()
        ev = [(0, m) for m in pre] + [(at(0.01), note_on(67, 100))]
        return np.asarray(s.render(ev, at(0.6), 512))[at(0.15):]

    base = play([])
    moved = play([control_change(17, 0)])
    back = play([control_change(17, 0), control_change(121, 0)])

    def spectrum_db(y):
        return 10 * np.log10(np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2 + 1e-12)

    dist = np.sqrt(np.mean((spectrum_db(base) - spectrum_db(moved))[: len(base) // 4] ** 2))
    level = 20 * np.log10(np.sqrt(np.mean(moved ** 2)) / np.sqrt(np.mean(base ** 2)))
    print(f"CC17=0: log-spectral distance {dist:.1f} dB, level change {level:+.1f} dB")
    assert dist > 3.0 or abs(level) > 3.0
    np.testing.assert_array_equal(back, base)


@pytest.mark.parametrize("block", [1, 7, 64, 4096])
def test_block_size_independent(block):
    ev = [(at(0.0), control_change(18, 90)), (at(0.02), note_on(64, 90)), (at(0.2), note_on(71, 70)),
          (at(0.25), pitch_bend(0.5)), (at(0.3), control_change(11, 80)), (at(0.35), note_off(71)),
          (at(0.45), note_off(64)), (at(0.5), note_on(60, 120)), (at(0.6), note_off(60))]
    ref = np.asarray(synth().render(ev, at(0.9), 256))
    y = np.asarray(synth().render(ev, at(0.9), block))
    assert np.abs(ref).max() > 0.01
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-5)


def test_any_midi_keeps_the_output_finite_and_bounded():
    rng = np.random.default_rng(3)
    s = synth()
    s.set_latent_offset(0, -1e6)
    s.set_preset(1, 1e9)
    ev = []
    for k in range(40):
        t = at(k * 0.02)
        ev.append((t, bytes(rng.integers(0, 256, 32, dtype=np.uint8))))  # garbage
        if k % 5 == 0:
            ev.append((t, b"".join(note_on(n, 127) for n in range(128))))  # 128 notes at once
            ev.append((t, pitch_bend(1.0 if k % 10 else -1.0)))
            ev.append((t, control_change(16 + k % 16, 127 if k % 10 else 0)))
    y = np.asarray(s.render(ev, at(1.2), 97))
    assert np.isfinite(y).all() and np.abs(y).max() <= 1.0, np.abs(y).max()
    assert s.stats()["midi_events"] > 128


def test_latency_is_the_onset_and_covers_the_decode_path():
    """The first non-zero sample of a note is latency() samples after its event at every
    frame phase; with a 0.5 ms attack the decoded note reaches -6 dB of its steady level within
    latency() + the default attack (5 ms) of the event, i.e. the decode path is inside it."""
    R = synth().ratio
    worst = 0
    for phase in (0, 64, 128, R - 1):
        s = synth(attack=0.0005)
        L = s.latency
        t = 8 * R + phase
        y = np.asarray(s.render([(t, note_on(69, 100))], t + at(0.2), 256))
        first = int(np.flatnonzero(y)[0])
        assert first == t + L, (phase, first - t, L)
        env = np.sqrt(np.convolve(y.astype(np.float64) ** 2, np.ones(64) / 64, "same"))
        steady = np.median(env[t + L + at(0.05):])
        reach = int(np.flatnonzero(env[t:] > steady * 10 ** (-6 / 20))[0])
        worst = max(worst, reach)
    print(f"latency {L} samples ({1000 * L / SR:.2f} ms); -6 dB of the steady level reached "
          f"{worst} samples after the event at worst")
    assert L == R + round(0.5 * R) + 207 == 591  # violin-rave: R 256, gate_low 0.5, PQMF N 208
    assert worst <= L + at(RAVE_DEFAULT_ATTACK_S)


RAVE_DEFAULT_ATTACK_S = 0.005


@pytest.mark.parametrize("rate", [44100, 96000])
def test_latency_at_other_host_rates_is_the_measured_onset(rate):
    """Behind the HostAdapter: the note's onset (first sample above 1e-3 of the peak) is
    latency() host samples after the event, within 2 model samples (E scaled + the output
    resampler; the first model sample above the threshold may be the second of the note:
    2026-12-06's violin-rave measured 1257 against 1254 at 96 kHz, 31 µs)."""
    s = _core.RaveSynth(str(MODEL))
    s.prepare(rate, 256)
    t = rate // 10
    y = np.asarray(s.render([(t, note_on(69, 100))], t + rate // 5, 256))
    onset = int(np.flatnonzero(np.abs(y) > 1e-3 * np.abs(y).max())[0]) - t
    print(f"{rate} Hz: latency {s.latency}, measured onset {onset}")
    assert s.latency > round(591 * rate / 48000)
    assert abs(onset - s.latency) <= -(-2 * rate // 48000), (onset, s.latency)


def test_a_model_without_pitch_source_is_refused(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    sys.path.insert(0, str(ROOT / "tests" / "core"))
    from rave_core_helpers import make_model

    _, path = make_model(tmp_path, "tiny", name="tiny")
    with pytest.raises(ValueError, match="no pitch source"):
        _core.RaveSynth(str(path))


def test_rave_synth_rt_native():
    """tests/csrc/test_rave_synth_rt.cpp with violin-rave: 0 allocations in process at 48 and
    44.1 kHz under a MIDI flood, finite and <= 1, onset at latency(), silence after release."""
    assert shutil.which("cmake"), "cmake not found: run scripts/setup.sh (installs cmake)"
    b = ROOT / "build" / "ctest"
    r = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(b), "-DRT_SYNTH_BUILD_TESTS=ON",
                        "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(b), "-j", "2", "--target", "test_rave_synth_rt"], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-20000:]
    r = subprocess.run([str(b / "tests" / "csrc" / "test_rave_synth_rt"), str(MODEL)], capture_output=True,
                       text=True, timeout=300)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all checks passed" in r.stdout and r.stdout.count(", 0 allocations") == 2


def test_live_plays_rave_from_midi_under_dummy_jack(tmp_path):
    """`rt-synth live violin-rave` (no --input) under jackd -d dummy: a note sent through a
    JACK MIDI port comes out at its pitch (recorded output, pYIN)."""
    import soundfile as sf

    from rt_synth.synth.jack_session import dummy_jack, jack_ports, midi_sender, new_server_name, start_live, \
        stop_live, wait_for

    server = new_server_name("rtsynth-ravesynth")
    report, wav = tmp_path / "live.json", tmp_path / "live.wav"
    with dummy_jack(server) as env:
        live = start_live(str(MODEL), env, report, "--block", "128", "--record", str(wav), "--duration", "30")
        try:
            assert wait_for(lambda: "rt-synth:midi_in" in jack_ports(server, env), 30), "no MIDI port"
            with midi_sender(server, env, "rtsynth-rave-notes") as out:
                time.sleep(0.3)
                out.send_message([0xB0, 17, 40])
                out.send_message([0x90, 69, 100])
                time.sleep(1.0)
                out.send_message([0x80, 69, 0])
                time.sleep(0.5)
            stop_live(live)
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()
    stats = json.loads(report.read_text())
    print({k: stats[k] for k in ("mode", "notes_on", "cc_applied", "callback_errors", "rms", "peak", "blocks")})
    assert stats["mode"] == "rave-synth" and stats["callback_errors"] == 0, stats
    assert stats["notes_on"] == 1 and stats["cc_applied"] >= 1 and stats["peak"] > 0.01, stats
    y, sr = sf.read(str(wav), dtype="float32")
    loud = np.flatnonzero(np.abs(y) > 0.01)
    seg = y[loud[0] + at(0.05):loud[-1] - at(0.2)]
    assert len(seg) > at(0.5)
    err = cents_of(seg, [(0, len(seg), 69)])[0]
    assert len(err) > 10 and abs(np.median(err)) <= 25, np.median(err)
