"""The shipped RAVE-style model (exports/violin-rave.*, issue 14): a pitched violin for timbre
transfer. Through the core it plays the note it is given (unseen violin and flute phrases,
held violin notes), follows the input's loudness and is silent when the input is; it reports a
latency within the 512-sample budget that an onset test agrees with, and a pitch range that
covers the violin; its native file is what its light checkpoint exports, and its native,
TorchScript and ONNX files are one model; it streams at any block size and stays within ±1 on
hostile input through RaveEngine.

No figure of one training run is asserted here: exports/README.md has those. The weights may be
replaced by a longer run (same architecture and name); these properties must still hold."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rt_synth.cli.main import main
from rt_synth.kinds.rave.heldout import forward, onset_delays, plucked_tone

EXPORTS = Path(__file__).resolve().parents[2] / "exports"
STEM = EXPORTS / "violin-rave"
MODEL = STEM.with_suffix(".rtsynth")
SR = 48000
VIOLIN, FLUTE = 40, 73  # GM programs


@pytest.fixture(scope="module")
def core_model():
    from rt_synth.core import load_core

    m = load_core().RaveModel(str(MODEL))
    m.prepare(SR, 4096)
    return m


@pytest.fixture(scope="module")
def info():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["info", str(MODEL), "--json"]) == 0
    return json.loads(buf.getvalue())


def _transfer(model, x: np.ndarray) -> np.ndarray:
    """The core's streaming transfer of x (256-sample blocks), the reported latency removed."""
    L = model.latency
    return forward(model, np.concatenate([x.astype(np.float32), np.zeros(L, np.float32)]))[L:]


def test_shipped_files_exist():
    for ext in (".rtsynth", ".ts", ".onnx", ".pt"):
        assert Path(str(STEM) + ext).is_file(), f"{STEM}{ext} missing"


def test_light_checkpoint_exports_the_shipped_native_file(tmp_path):
    """exports/violin-rave.pt and .rtsynth are the same weights: `rt-synth export` of the
    checkpoint writes the shipped native file byte for byte (exports/README.md's recipe)."""
    assert main(["export", str(STEM.with_suffix(".pt")), "--out", str(tmp_path / "violin-rave"),
                 "--formats", "native"]) == 0
    assert (tmp_path / "violin-rave.rtsynth").read_bytes() == MODEL.read_bytes()


def test_info_reports_latency_within_budget_and_a_violin_pitch_range(info, core_model):
    md = info["metadata"]
    assert info["kind"] == "rave" and info["name"] == "violin-rave" and info["hop"] <= 256
    assert 0 < info["latency_samples"] <= 512
    # (N - 1) + (R_e - 1)·M: PQMF taps, band frames buffered by the encoder, bands
    assert info["latency_samples"] == (md["rave.pqmf_taps"] - 1) + md["rave.band_delay_frames"] * md["rave.n_bands"]
    assert core_model.latency == info["latency_samples"]
    assert md["rave.pitch_source"] == 1 and core_model.pitch_source
    lo, hi = core_model.pitch_range
    assert (lo, hi) == pytest.approx((md["rave.pitch_f0_min"], md["rave.pitch_f0_max"]))
    # the violin's open G (G3, 196 Hz) to E6 (1 319 Hz) at least, and no absurd range
    assert 60.0 <= lo <= 196.0 and 1318.5 <= hi <= 4000.0


def test_info_text_names_the_pitch_source(capsys):
    assert main(["info", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "pitch source" in out and "YIN" in out


def test_onset_through_the_core_agrees_with_reported_latency(core_model, info):
    """Silence, then plucked tones at 110..880 Hz: the output's first sound (first 16-sample
    frame over -40 dB of its peak) comes the reported latency after the input's onset, no
    earlier than the PQMF's filters can ring ahead of their centre ((N - 1) / 2 = 103 samples:
    a causal model cannot sound sooner) and one frame after; the output then builds: over
    -30 dB within 6 frames (96 samples, 2 ms) of the latency, over -20 dB within one latent
    frame (the harmonic part waits for a voiced tracker window).
    Measured 2026-12-06 (harmonic-ddsp-warm, seed 0, step 8 000): -40 dB 368 samples, latency
    447 (harmonic-ddsp, step 8 000: -40 dB 416, -30 dB 416..432, -20 dB 432; 2026-12-04's
    pitched model: -40 dB 416..448, -30 dB 448..512, -20 dB 544..608)."""
    L, ratio = core_model.latency, core_model.ratio
    ring = (int(info["metadata"]["rave.pqmf_taps"]) - 1) // 2
    at40 = onset_delays(core_model, threshold_db=-40.0)
    assert all(L - ring <= d <= L + 16 for d in at40), at40
    at30 = onset_delays(core_model, threshold_db=-30.0)
    assert all(L - ring <= d <= L + 96 for d in at30), at30
    at20 = onset_delays(core_model)
    assert all(L - ring <= d <= L + ratio for d in at20), at20
    y = forward(core_model, plucked_tone(440.0), 256)
    assert np.isfinite(y).all() and np.abs(y).max() > 1e-2


def test_core_is_block_size_independent(core_model):
    x = plucked_tone(330.0, seconds=0.6, silence=3000)
    ref = forward(core_model, x, 256)
    assert np.abs(ref).max() > 1e-2
    for block in (1, 7, 100, 1000, 4096):
        assert np.abs(forward(core_model, x, block) - ref).max() <= 1e-5, block


def test_torchscript_and_onnx_exports_equal_the_core(core_model, info):
    import torch

    from rt_synth.export.counter_noise_torch import counter_noise
    from rt_synth.kinds.rave.export.onnx import OnnxRaveStream
    from rt_synth.kinds.rave.model.streaming import band_noise

    ratio = core_model.ratio
    x = plucked_tone(262.0, seconds=0.5, silence=2048)
    x = x[: len(x) // (4 * ratio) * 4 * ratio]
    core = forward(core_model, x, 256)
    assert np.abs(core).max() > 1e-2

    ts = torch.jit.load(str(STEM.with_suffix(".ts")))
    ts.reset()
    xt = torch.from_numpy(x)
    with torch.inference_mode():
        ts_out = torch.cat([ts.forward(xt[i:i + ratio].view(1, 1, -1))[0, 0]
                            for i in range(0, len(x), ratio)]).numpy()
    assert np.abs(ts_out - core).max() <= 1e-4

    stream = OnnxRaveStream(STEM.with_suffix(".onnx"))
    step = stream.block
    n = len(x) // step * step
    noise = None
    if stream.has_noise:  # the caller's noise stream: the core's counter noise from sample 0
        bands = info["metadata"]["rave.n_bands"]
        noise = band_noise(counter_noise(int(info["metadata"]["rave.noise_seed"]),
                                         torch.zeros(1, dtype=torch.int64), n), bands).numpy()
    fb = step // info["metadata"]["rave.n_bands"]
    onnx_out = np.concatenate([
        stream.step(x[None, None, i:i + step],
                    None if noise is None else np.ascontiguousarray(noise[..., i // step * fb:(i // step + 1) * fb]))[0, 0]
        for i in range(0, n, step)])
    assert np.abs(onnx_out - core[:n]).max() <= 1e-4


@pytest.fixture(scope="module")
def phrases():
    """Unseen phrases (seed 5151, not a training seed): FluidR3 violin and flute, 12 s each."""
    from rt_synth.data.render import generate_phrases, render_phrases

    items = generate_phrases(VIOLIN, 12, 5151) + generate_phrases(FLUTE, 12, 5151)
    return [(item.program, x) for item, x in zip(items, render_phrases(items, sample_rate=SR))]


def test_plays_the_pitch_and_loudness_of_unseen_phrases(core_model, phrases):
    """Median over phrases of the pYIN f0 error on frames voiced in both <= 25 cents (the
    retired unpitched ensemble-rave: ~1 700); the output's loudness curve follows the input's
    (RMS curves on frames within 40 dB of the input's peak: correlation >= 0.7 for any input;
    for the violin, the instrument it models, >= 0.9 and the issue's 2.5 dB mean error)."""
    from rt_synth.eval.resynthesis import f0_error_cents, loudness_error_db, rms_db

    errors = []
    for program, x in phrases:
        y = _transfer(core_model, x)
        assert np.isfinite(y).all()
        err, frames = f0_error_cents(x, y, SR)
        assert frames > 50, "the output should be pitched where the input is"
        errors.append(err)
        a, b = rms_db(x), rms_db(y)
        mask = a > a.max() - 40.0
        corr = float(np.corrcoef(a[mask], b[mask])[0, 1])
        assert corr >= 0.7, (program, corr)
        if program == VIOLIN:
            assert corr >= 0.9 and loudness_error_db(x, y)[0] <= 2.5, corr
    assert np.median(errors) <= 25.0, errors


def _held_notes(notes, program=VIOLIN, seconds=0.6):
    from rt_synth.data.phrases import TICKS_PER_SECOND, Note, Phrase
    from rt_synth.data.render import render_phrases

    on = int(seconds * TICKS_PER_SECOND)
    items = [Phrase(program, int((seconds + 0.3) * SR), SR, [Note(0, on, p, 100)]) for p in notes]
    return render_phrases(items, sample_rate=SR)


def _held_note_errors(model, notes):
    from rt_synth.eval.resynthesis import f0_error_cents

    out = {}
    for note, x in zip(notes, _held_notes(notes)):
        err, frames = f0_error_cents(x, _transfer(model, x), SR)
        out[note] = err if frames > 20 else float("inf")  # unvoiced output: no note at all
    return out


def test_held_violin_notes_on_the_d_a_e_strings_play_in_tune(core_model):
    """One held FluidR3 violin note at a time (D4, A4, E5, A5, E6): each comes out at its
    pitch, within 50 cents (pYIN's grid is 10 cents)."""
    errors = _held_note_errors(core_model, (62, 69, 76, 81, 88))
    assert all(e <= 50.0 for e in errors.values()), errors


def test_held_violin_notes_on_the_g_string_play_in_tune(core_model):
    """The violin's lowest string (G3, A3, B3, C4): each held note at its pitch within 50
    cents, as on the other strings."""
    errors = _held_note_errors(core_model, (55, 57, 59, 60))
    assert all(e <= 50.0 for e in errors.values()), errors


def _switch_sample(sig: np.ndarray, at: int, hop: int = 32) -> int | None:
    """First sample after `at` - 40 hops from which 8 hops in a row track above 350 cents over
    A4 (the E5 of the pitch-step test), by one fixed YIN (200..1200 Hz, hop 32); None if never."""
    from rt_synth.dsp.yin import yin_track

    f0, per = yin_track(sig, SR, hop, 200.0, 1200.0)
    high = (1200.0 * np.log2(np.maximum(f0, 1.0) / 440.0) > 350.0) & (per > 0.5)
    return next(((j + 1) * hop for j in range(at // hop - 40, len(high) - 8) if high[j:j + 8].all()), None)


def test_a_pitch_step_reaches_the_output_within_the_designs_bound(core_model, info):
    """A held A4 cut to a held E5 (FluidR3 violin): the output plays A4 then E5, and switches
    (latency removed, the same tracker on input and output) no later than the design allows
    after the input does: the model's tracker needs one window of the new note (W), reports
    it at the next frame boundary (R), the excitation ramps over a frame (R), and the last
    decoder stage remembers 2 + 2·Σdilations + 2 band frames of it (docs/rave.md §11). The
    shipped weights measure 544 samples (the step-13 603 weights: 992) beside this bound of
    1 362 (scripts/analysis/rave_diagnostics.py prints it)."""
    from rt_synth.dsp.yin import yin_params

    md = info["metadata"]
    a4, e5 = _held_notes((69, 76), seconds=0.8)
    seg = lambda x: x[int(0.15 * SR): int(0.65 * SR)]
    x = np.concatenate([seg(a4), seg(e5)]).astype(np.float32)
    cut = int(0.5 * SR)
    y = _transfer(core_model, x)
    from rt_synth.eval.resynthesis import f0_error_cents

    for part in (slice(int(0.1 * SR), cut - int(0.05 * SR)), slice(cut + int(0.1 * SR), len(x) - int(0.05 * SR))):
        err, frames = f0_error_cents(x[part], y[part], SR)
        assert frames > 20 and err <= 50.0, (part, err, frames)
    window, _, _ = yin_params(SR, md["rave.pitch_f0_min"], md["rave.pitch_f0_max"])
    ratio, m = core_model.ratio, md["rave.n_bands"]
    memory = (2 + 2 * sum(md["rave.dilations"]) * (md["rave.kernel"] - 1) // 2 + 2) * m
    bound = window + 2 * ratio + memory
    at_in, at_out = _switch_sample(x, cut), _switch_sample(y, cut)
    assert at_in is not None and at_out is not None, "no switch to E5 found"
    delay = at_out - at_in
    assert 0 <= delay <= bound, (delay, bound)


def test_follows_a_crescendo_and_is_silent_after_the_note(core_model):
    """A held A4 (harmonic tone) rising from -40 dB to -6 dB: the output's RMS curve rises with
    it (correlation >= 0.9, >= 15 dB louder at the end than at the start); 0.1 s after the input
    stops the output is silent (< -60 dBFS): no hiss from the noise branch on silence."""
    from rt_synth.eval.resynthesis import rms_db

    t = np.arange(2 * SR) / SR
    tone = sum(np.sin(2 * np.pi * k * 440.0 * t) / k for k in range(1, 10))
    x = np.concatenate([np.geomspace(0.01, 0.5, len(t)) * tone, np.zeros(SR // 2)]).astype(np.float32)
    y = _transfer(core_model, x)
    a, b = rms_db(x[:len(t)]), rms_db(y[:len(t)])
    assert float(np.corrcoef(a[5:-5], b[5:-5])[0, 1]) >= 0.9
    assert b[-10:].mean() - b[10:20].mean() >= 15.0
    assert np.abs(y[len(t) + SR // 10:]).max() < 1e-3


def test_bounded_on_hostile_input_through_the_engine():
    from rt_synth.core import load_core

    core = load_core()
    if not hasattr(core, "RaveEngine"):
        pytest.fail("the core lacks RaveEngine")
    eng = core.RaveEngine(str(MODEL))
    eng.prepare(SR, 256)
    rng = np.random.default_rng(0)
    blocks = [np.full(256, np.nan, np.float32), np.full(256, np.inf, np.float32),
              np.full(256, 1e6, np.float32), rng.uniform(-1, 1, 256).astype(np.float32)]
    peak = 0.0
    for i in range(400):
        y = np.asarray(eng.process(blocks[i % len(blocks)]))
        assert np.all(np.isfinite(y))
        peak = max(peak, float(np.abs(y).max()))
    assert peak <= 1.0


def test_the_latent_controls_change_the_timbre(core_model):
    """The latent is playable: moving one latent control (set_latent_offset, what a MIDI CC
    does) by ±1 of its range changes the log-mel spectrum of a violin-like phrase by more than
    1 dB on average (a collapsed latent, one the decoder ignores, moves it by ~0). Measured
    2026-12-06: control 0 at -1 / +1 moves it 1.9 / 2.8 dB (harmonic-ddsp, step 8 000), 1.2 /
    1.5 dB (the pitched model it replaced)."""
    from rt_synth.core import load_core
    from rt_synth.eval.signals import violin_like

    x = violin_like(3.0, seed=3).astype(np.float32)

    def mel_db(offset):
        m = load_core().RaveModel(str(MODEL))
        m.prepare(SR, 4096)
        if offset is not None:
            m.set_latent_offset(0, offset)
        y = forward(m, x, 4096)
        frames = np.lib.stride_tricks.sliding_window_view(y, 2048)[::512] * np.hanning(2048)
        power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # [T, 1025] at 23.4 Hz per bin
        edges = np.geomspace(100.0, 12000.0, 41) / (SR / 2048)
        bands = [power[:, int(a):max(int(a) + 1, int(b))].sum(-1) for a, b in zip(edges[:-1], edges[1:])]
        return 10 * np.log10(np.stack(bands, -1) + 1e-10), y

    base, y0 = mel_db(None)
    for offset in (-1.0, 1.0):
        moved, y = mel_db(offset)
        assert np.isfinite(y).all()
        assert float(np.abs(moved - base).mean()) > 1.0, offset
