"""RAVE pitch source in the C++ core (csrc/kinds/rave/rave_pitch_source.*, docs/core-rave.md "Pitch
source") against the PyTorch model in float64: random-weight `tiny-pitched` and `pitched`
models written by the native exporter; process() (forward) equals `RaveModel.reconstruct` on
the same audio (numpy YIN on the raw input, the core's counter noise) within 1e-4 at block
sizes 1, 7, 64, 256, 4096 on a signal with voiced notes, a glide, silence and noise;
decode_with_pitch equals `RaveModel.decode(u, noise, f0, periodicity)`; plain decode uses the
tracker's newest frame; the file's pitch keys are range-checked; and every output path of a
pitched model stays finite and (through the engine / C ABI safety stage) within ±1 on
NaN / Inf / ±1e6 / full-scale noise input and extreme latent controls."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth import _core  # noqa: E402

from rave_core_helpers import SR, chunks, make_model, run_decode, run_encode, run_forward  # noqa: E402

TOL = 1e-4
BLOCKS = [1, 7, 64, 256, 4096]
# the DDSP-style head (docs/rave.md §13: loudness input, hidden layers, head noise, no latent),
# the same reading the latent too, and the full-size harmonic-ddsp
CONFIGS = ["tiny-pitched", "pitched", "tiny-harmonic", "harmonic", "tiny-harmonic-ddsp",
           "tiny-harmonic-ddsp-latent", "harmonic-ddsp"]
FORWARD, DECODE = 3, 5  # RT_SYNTH_METHOD_* of rave models


def pitch_signal(seconds=1.5, seed=0):
    """Voiced notes (harmonic, with attack and vibrato), an exponential glide, exact silence and
    white noise, one after another."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = np.zeros(n)

    def seg(a, b):
        return slice(int(a * n), int(b * n))

    def harmonic(phase, amps):
        return sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amps))

    s = seg(0.0, 0.23)  # G3 with four harmonics and an attack
    ts = t[s] - t[s][0]
    x[s] = np.minimum(1.0, ts / 0.02) * harmonic(2 * np.pi * 196.0 * ts, [0.3, 0.15, 0.08, 0.04])
    s = seg(0.23, 0.43)  # glide 196 → 784 Hz, exponential, phase-continuous
    ts = t[s] - t[s][0]
    dur = ts[-1] + 1 / SR
    f = 196.0 * 4.0 ** (ts / dur)
    x[s] = harmonic(2 * np.pi * np.cumsum(f) / SR, [0.3, 0.1])
    x[seg(0.43, 0.53)] = 0.0  # silence
    s = seg(0.53, 0.67)  # white noise
    x[s] = 0.25 * rng.standard_normal(s.stop - s.start)
    s = seg(0.67, 1.0)  # C5 with vibrato, then a decay
    ts = t[s] - t[s][0]
    f = 523.25 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * ts))
    x[s] = np.exp(-ts / 0.4) * harmonic(2 * np.pi * np.cumsum(f) / SR, [0.35, 0.12, 0.05])
    return x.astype(np.float32)


def counter_band_noise(config, frames):
    import torch

    from rt_synth.export.counter_noise_torch import counter_noise
    from rt_synth.kinds.rave.model.streaming import band_noise

    return band_noise(counter_noise(0, torch.zeros(1, dtype=torch.int64), frames * config.ratio),
                      config.n_bands).double()


def reference(model, x):
    """float64 offline model: u [D, F], f0, periodicity [F] (numpy YIN on the raw audio) and
    reconstruct(x) [F·R], plus the same decode with the excitation switched off (periodicity 0)
    to show that the pitch source shapes the output."""
    import torch

    c = model.config
    md = model.double()
    try:
        with torch.no_grad():
            xt = torch.tensor(x, dtype=torch.float64)[None, None]
            frames = -(-len(x) // c.ratio)
            noise = counter_band_noise(c, frames)
            y = md.reconstruct(xt, noise)[0, 0]
            u = md.encode(xt)
            f0, per = md.track(xt)
            loud = md.track_loudness(xt)  # None unless the head reads it
            y_off = md.decode(u, noise, f0, torch.zeros_like(per), loud)[0, 0]
        return {"u": u[0].numpy(), "f0": f0[0].numpy(), "per": per[0].numpy(), "y": y.numpy(),
                "y_off": y_off.numpy(), "loud": None if loud is None else loud[0].numpy()}
    finally:
        model.float()


@pytest.fixture(scope="module", params=CONFIGS)
def pitched(request, tmp_path_factory):
    model, path = make_model(tmp_path_factory.mktemp("rave_pitch"), request.param, seed=7,
                             name=request.param)
    x = pitch_signal()
    ref = reference(model, x)
    core = _core.RaveModel(str(path))
    core.prepare(SR, 4096)
    return {"config": request.param, "model": model, "path": path, "core": core, "x": x, **ref}


def test_reference_is_not_empty(pitched):
    """The tracker sees voiced, silent and noisy frames, and the excitation changes the output:
    otherwise the parity below would not test the pitch source."""
    per, y, y_off = pitched["per"], pitched["y"], pitched["y_off"]
    assert (per > 0.85).mean() > 0.4 and (per == 0.0).sum() > 10 and ((per > 0) & (per < 0.5)).sum() > 5
    assert np.abs(y).max() > 0.1
    assert np.abs(y - y_off).max() > 0.02


@pytest.mark.parametrize("block", BLOCKS)
def test_forward_parity(pitched, block):
    core, x, y = pitched["core"], pitched["x"], pitched["y"]
    yc = run_forward(core, x, block)
    assert yc.shape == x.shape and np.all(np.isfinite(yc))
    err = float(np.abs(yc - y[: len(x)]).max())
    print(f"\n{pitched['config']} forward block {block}: max abs error {err:.3g}")
    assert err <= TOL, f"{pitched['config']} block {block}: forward max abs error {err:.3g}"


def test_block_size_independence(pitched):
    core, x = pitched["core"], pitched["x"]
    a = run_forward(core, x, 4096)
    sizes = np.random.default_rng(1).integers(1, 700, 400)
    np.testing.assert_array_equal(run_forward(core, x, list(sizes)), a)
    np.testing.assert_array_equal(run_forward(core, x, 33), a)


def test_encode_tracks_the_raw_input(pitched):
    """encode runs the tracker too: afterwards tracked_pitch is yin_track's newest frame of the
    raw audio (before input_gain), and the latents equal the reference."""
    from rt_synth.dsp.yin import yin_track

    core, x, model = pitched["core"], pitched["x"], pitched["model"]
    c = model.config
    uc = run_encode(core, x, 1000)
    assert np.abs(uc - pitched["u"]).max() <= TOL
    f0, per = yin_track(x, SR, c.ratio, c.pitch_f0_min, c.pitch_f0_max, c.pitch_threshold)
    assert core.tracked_pitch == (float(f0[-1]), float(per[-1]))
    core.reset()
    assert core.tracked_pitch == (pytest.approx(c.pitch_f0_min), 0.0)


def _reads_loudness(model):
    return bool(model.config.harmonics and model.config.harmonic_loudness)


def _decode_reference(model, u, f0, per, loud=None):
    import torch

    md = model.double()
    if loud is None and _reads_loudness(model):
        loud = np.zeros(len(f0), np.float32)
    try:
        with torch.no_grad():
            noise = counter_band_noise(model.config, u.shape[-1])
            y = md.decode(torch.as_tensor(u, dtype=torch.float64)[None], noise,
                          torch.as_tensor(f0)[None], torch.as_tensor(per)[None],
                          None if loud is None else torch.as_tensor(loud)[None])
        return y[0, 0].numpy()
    finally:
        model.float()


@pytest.mark.parametrize("frames_per_call", [1, 3, 17, 1000])
def test_decode_with_pitch_parity(pitched, frames_per_call):
    """User-given f0/periodicity per frame, out of range included (clamped on both sides): steps,
    ramps, gate edges."""
    model, core, u = pitched["model"], pitched["core"], pitched["u"]
    F = u.shape[1]
    rng = np.random.default_rng(3)
    steps = np.repeat(rng.uniform(40.0, 3000.0, F // 8 + 1), 8)[:F]
    f0 = np.where(np.arange(F) % 50 < 25, steps, np.geomspace(60.0, 2500.0, F)).astype(np.float32)
    per = np.clip(np.repeat(rng.uniform(-0.3, 1.3, F // 5 + 1), 5)[:F], -0.3, 1.3).astype(np.float32)
    # the head's loudness input (read by the DDSP-style head; ignored otherwise)
    loud = np.repeat(rng.uniform(0.0, 1.2, F // 6 + 1), 6)[:F].astype(np.float32)
    y = _decode_reference(model, u, f0, per, loud if _reads_loudness(model) else None)
    core.reset()
    yc = np.concatenate([core.decode_with_pitch(np.ascontiguousarray(u[:, a:b]), f0[a:b], per[a:b], loud[a:b])
                         for a, b in chunks(F, frames_per_call)])
    err = float(np.abs(yc - y).max())
    print(f"\n{pitched['config']} decode_with_pitch ({frames_per_call} frames per call): {err:.3g}")
    assert np.abs(y).max() > 0.1
    assert err <= TOL


def test_plain_decode_uses_the_newest_tracked_frame(pitched):
    """decode() on a pitched model = decode_with_pitch with tracked_pitch held for every frame:
    after reset (f0_min, 0) — no excitation; after encode, the tracker's newest frame."""
    model, core, u, x = pitched["model"], pitched["core"], pitched["u"], pitched["x"]
    c = model.config
    F = u.shape[1]
    y = _decode_reference(model, u, np.full(F, c.pitch_f0_min, np.float32), np.zeros(F, np.float32))
    assert np.abs(run_decode(core, u, 7) - y).max() <= TOL
    # after encoding a voiced stretch, decode holds its newest frame
    core.reset()
    core.encode(x[: int(0.2 * SR)])
    f, p = core.tracked_pitch
    assert p > 0.85 and abs(f - 196.0) < 2.0
    a = core.decode(np.ascontiguousarray(u[:, :40]))
    core.reset()
    core.encode(x[: int(0.2 * SR)])
    lo = core.tracked_loudness  # the same frame's loudness (what a loudness-reading head gets)
    assert lo > 0.5
    b = core.decode_with_pitch(np.ascontiguousarray(u[:, :40]), np.full(40, f, np.float32), np.full(40, p, np.float32),
                               np.full(40, lo, np.float32))
    np.testing.assert_array_equal(a, b)


def test_encode_tracks_the_loudness(pitched):
    """The core's loudness of each frame (the StreamingYin's running window sum, read at the
    frame boundary) equals pitch_source.loudness_frames: after encoding k·R samples,
    tracked_loudness is frame k's."""
    from rt_synth.kinds.rave.model.pitch_source import loudness_frames

    core, x, model = pitched["core"], pitched["x"], pitched["model"]
    c = model.config
    if not _reads_loudness(model):
        pytest.skip("this head does not read the loudness")
    ref = loudness_frames(x, c)
    assert np.array_equal(ref, pitched["loud"])
    core.reset()
    assert core.tracked_loudness == 0.0
    got = [0.0]
    for a in range(0, (len(x) // c.ratio) * c.ratio, c.ratio):
        core.encode(x[a:a + c.ratio])
        got.append(core.tracked_loudness)
    got = np.array(got[: len(ref)], np.float32)
    assert (ref > 0.5).sum() > 10 and (ref == 0.0).sum() > 5  # loud frames and the silence
    err = float(np.abs(got - ref[: len(got)]).max())
    print(f"\n{pitched['config']} loudness: max abs error {err:.3g}")
    assert err <= 1e-6


def test_metadata_and_properties(pitched, capsys):
    model, core, path = pitched["model"], pitched["core"], pitched["path"]
    c = model.config
    md = core.metadata
    assert md["pitch_source"] is True and core.pitch_source
    assert core.pitch_range == (c.pitch_f0_min, c.pitch_f0_max)
    assert (md["pitch_f0_min"], md["pitch_f0_max"], md["pitch_threshold"]) == (
        c.pitch_f0_min, c.pitch_f0_max, c.pitch_threshold)
    from rt_synth.kinds.rave.model import pitch_source as ps

    assert (md["pitch_harmonic_limit"], md["pitch_gate_low"], md["pitch_gate_high"], md["pitch_level"]) == (
        ps.HARMONIC_LIMIT, ps.GATE_LOW, ps.GATE_HIGH, ps.LEVEL)
    from rt_synth.cli.info_cmd import describe

    meta = describe(str(path))["metadata"]
    assert meta["rave.pitch_source"] == 1 and meta["rave.pitch_f0_min"] == c.pitch_f0_min
    import argparse

    from rt_synth.cli.info_cmd import run as info

    info(argparse.Namespace(model=str(path), json=False))
    assert f"pitch source    causal YIN {c.pitch_f0_min:g}..{c.pitch_f0_max:g} Hz" in capsys.readouterr().out


def test_model_without_pitch_source(tmp_path):
    _, path = make_model(tmp_path, "tiny")
    core = _core.RaveModel(str(path))
    core.prepare(SR, 256)
    assert core.pitch_source is False and core.pitch_range is None
    assert core.metadata["pitch_source"] is False and "pitch_f0_min" not in core.metadata
    with pytest.raises(ValueError, match="no pitch source"):
        core.decode_with_pitch(np.zeros((core.latent_size, 2), np.float32), np.zeros(2, np.float32),
                               np.zeros(2, np.float32))


# ---- bad files ----

def _write_pitched(tmp_path, monkeypatch, name, f64=None, drop=None):
    import gguf

    import rt_synth.kinds.rave.export.native as rn

    model, _ = make_model(tmp_path, "tiny-pitched", name="ok_" + name)
    orig_f64, orig_t = gguf.GGUFWriter.add_float64, rn.rave_tensors
    f64 = f64 or {}
    monkeypatch.setattr(gguf.GGUFWriter, "add_float64",
                        lambda self, k, v: orig_f64(self, k, f64.get(k, v)) if f64.get(k, v) is not None else None)
    if drop:
        monkeypatch.setattr(rn, "rave_tensors", lambda m: {k: v for k, v in orig_t(m).items() if k != drop})
    path = rn.write_rave(model, tmp_path / name, name)
    monkeypatch.undo()
    return path


P = "rt_synth.rave.pitch_"


@pytest.mark.parametrize("case,patch,match", [
    ("f0_min_low", {"f64": {P + "f0_min": 2.0}}, "pitch_f0_min .*window"),
    ("f0_min_nan", {"f64": {P + "f0_min": float("nan")}}, "pitch_f0_min"),
    ("f0_max_nyquist", {"f64": {P + "f0_max": 30000.0}}, "pitch_f0_max"),
    ("f0_order", {"f64": {P + "f0_max": 90.0}}, "pitch_f0_max = 90 Hz, expected a value above"),
    ("narrow", {"f64": {P + "f0_min": 1000.0, P + "f0_max": 1001.0}}, "too narrow"),
    ("threshold", {"f64": {P + "threshold": 1.5}}, "pitch_threshold"),
    ("limit", {"f64": {P + "harmonic_limit": 0.7}}, "pitch_harmonic_limit"),
    ("gate", {"f64": {P + "gate_high": 0.4}}, "pitch_gate_high"),
    ("level", {"f64": {P + "level": -1.0}}, "pitch_level"),
    ("missing_key", {"f64": {P + "f0_max": None}}, "missing key 'rt_synth.rave.pitch_f0_max'"),
    ("missing_exc_in", {"drop": "decoder.stages.1.exc_in.conv.weight"}, "exc_in"),
    ("missing_film", {"drop": "decoder.stages.1.exc_film.conv.bias"}, "exc_film"),
])
def test_bad_pitch_keys_raise_model_file_error(tmp_path, monkeypatch, case, patch, match):
    path = _write_pitched(tmp_path, monkeypatch, case, **patch)
    with pytest.raises(_core.ModelFileError, match=match) as exc:
        _core.RaveModel(str(path))
    msg = str(exc.value)  # plain words, as every metadata refusal (tests/core/test_metadata_ranges.py)
    assert "expected" in msg or "allowed range" in msg or "missing tensor" in msg, msg


# ---- bounded output ----

def _adversarial(n):
    rng = np.random.default_rng(12)
    t = np.arange(n) / SR
    noise = rng.uniform(-1.0, 1.0, n)
    bursts = 0.5 * np.sin(2 * np.pi * 330 * t)  # voiced, so the excitation is on around them
    for k, v in enumerate([np.nan, np.inf, -np.inf, 1e6, -1e6, np.nan, 1e6]):
        a = (k + 1) * n // 9
        bursts[a:a + 5 + 40 * k] = v
    return {"noise": noise, "alternating_16": 16.0 * (1 - 2 * (np.arange(n) % 2)), "bursts": bursts,
            "tone_16": 16.0 * np.sin(2 * np.pi * 150 * t)}


def _blocks(fn, x, sizes=(7, 64, 1000, 1)):
    out, i, k = [], 0, 0
    while i < len(x):
        b = min(sizes[k % len(sizes)], len(x) - i)
        out.append(fn(x[i:i + b]))
        i, k = i + b, k + 1
    return np.concatenate(out)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_bounded_output_engine_capi_and_model(pitched, sr):
    """RaveModel.forward (the raw network: no safety stage, docs/safety.md) stays finite; the
    engine and C ABI paths, which end in OutputLimiter, stay within ±1 — with the latent
    controls pushed to their clamps."""
    from rt_synth.capi import CModel

    path, core = pitched["path"], pitched["core"]
    eng = _core.RaveEngine(str(path))
    eng.prepare(sr, 4096)
    c = CModel(path, FORWARD)
    c.prepare(sr, 4096)
    D = core.latent_size
    for i in range(D):
        eng.set_latent_offset(i, 1e9 if i % 2 else -1e9)
        eng.set_latent_scale(i, 1e9)
        c.set_param(f"latent_offset_{i}", 1e9 if i % 2 else -1e9)
        c.set_param(f"latent_scale_{i}", 1e9)
    n = int(0.3 * sr)
    peaks = {}
    for name, x in _adversarial(n).items():
        x = x.astype(np.float32)
        eng.reset()
        c.reset()
        y = _blocks(eng.process, x)
        assert np.isfinite(y).all() and np.abs(y).max() <= 1.0, (name, np.abs(y).max())
        y2 = _blocks(lambda b: c.process(inputs=[b])[0], x)
        assert np.isfinite(y2).all() and np.abs(y2).max() <= 1.0, (name, np.abs(y2).max())
        if sr == SR:
            raw = run_forward(core, x, 100)
            assert np.isfinite(raw).all()
            peaks[name] = float(np.abs(raw).max())
    if peaks:
        print(f"\n{pitched['config']} RaveModel.forward raw peaks (no safety stage): {peaks}")


def test_bounded_decode_extreme_latents_and_pitch(pitched):
    from rt_synth.capi import CModel

    path, core = pitched["path"], pitched["core"]
    D, R = core.latent_size, core.ratio
    c = CModel(path, DECODE)
    c.prepare(SR, 4096)
    rng = np.random.default_rng(5)
    frames = 64
    for name, z in {"huge": rng.choice([-1e3, -50.0, 50.0, 1e3], (D, frames)),
                    "bad": rng.choice([np.nan, np.inf, -np.inf, 1e6, 0.0], (D, frames))}.items():
        z = z.astype(np.float32)
        c.reset()
        out = np.concatenate([c.process(n=R * 8, inputs=[z[d, f:f + 8] for d in range(D)])[0]
                              for f in range(0, frames, 8)])
        assert np.isfinite(out).all() and np.abs(out).max() <= 1.0, name
        for f0, per in ((np.full(frames, np.nan), np.full(frames, np.nan)),
                        (rng.choice([np.inf, -np.inf, 1e6, -1e6, 0.0, 440.0], frames),
                         rng.choice([np.inf, -np.inf, 1e6, np.nan, 1.0], frames))):
            core.reset()
            y = core.decode_with_pitch(z, f0.astype(np.float32), per.astype(np.float32))
            assert np.isfinite(y).all(), name


# ---- the DDSP-style harmonic head's keys (docs/rave.md §13) ----

H = "rt_synth.rave.harmonic_"


def _write_ddsp(tmp_path, monkeypatch, name, u32=None, f64=None, drop=None, config="tiny-harmonic-ddsp"):
    """tiny-harmonic-ddsp written with some uint32 / float64 keys replaced (None: left out) or a
    tensor dropped."""
    import gguf

    import rt_synth.kinds.rave.export.native as rn

    model, _ = make_model(tmp_path, config, name="ok_" + name)
    orig_u32, orig_f64, orig_t = gguf.GGUFWriter.add_uint32, gguf.GGUFWriter.add_float64, rn.rave_tensors
    u32, f64 = u32 or {}, f64 or {}

    def patched(orig, table):
        def add(self, k, v):
            v = table.get(k, v)
            if v is not None:
                orig(self, k, v)
        return add

    monkeypatch.setattr(gguf.GGUFWriter, "add_uint32", patched(orig_u32, u32))
    monkeypatch.setattr(gguf.GGUFWriter, "add_float64", patched(orig_f64, f64))
    if drop:
        monkeypatch.setattr(rn, "rave_tensors", lambda m: {k: v for k, v in orig_t(m).items() if k != drop})
    path = rn.write_rave(model, tmp_path / name, name)
    monkeypatch.undo()
    return path


def test_ddsp_head_keys_are_written_and_read(tmp_path):
    model, path = make_model(tmp_path, "tiny-harmonic-ddsp", name="d")
    c = model.config
    md = _core.RaveModel(str(path)).metadata
    assert (md["harmonics"], md["harmonic_f0"], md["harmonic_latent"], md["harmonic_loudness"],
            md["harmonic_layers"], md["harmonic_noise"]) == (c.harmonics, True, False, True,
                                                              c.harmonic_layers, True)
    from rt_synth.kinds.rave.model import pitch_source as ps

    assert (md["loudness_floor_db"], md["loudness_max"]) == (ps.LOUDNESS_FLOOR_DB, ps.LOUDNESS_MAX)
    # the plain head's file carries none of the new keys (older readers load it unchanged)
    _, plain = make_model(tmp_path, "tiny-harmonic", name="h")
    from rt_synth.cli.info_cmd import describe

    meta = describe(str(plain))["metadata"]
    assert not any(k in meta for k in ("rave.harmonic_latent", "rave.harmonic_loudness",
                                       "rave.harmonic_layers", "rave.harmonic_noise",
                                       "rave.loudness_floor_db"))
    assert describe(str(path))["metadata"]["rave.harmonic_layers"] == c.harmonic_layers


@pytest.mark.parametrize("case,patch,match", [
    ("layers_0", {"u32": {H + "layers": 0}}, "harmonic_layers"),
    ("layers_huge", {"u32": {H + "layers": 1000}}, "harmonic_layers"),
    ("layers_more_than_tensors", {"u32": {H + "layers": 3}}, "hidden.1"),
    ("layers_fewer_than_tensors", {"u32": {H + "layers": None}}, "harmonic_layers = 1, but the file has"),
    ("loudness_2", {"u32": {H + "loudness": 2}}, "harmonic_loudness"),
    ("loudness_missing", {"u32": {H + "loudness": None}}, "harmonic_head.conv.conv"),
    ("noise_2", {"u32": {H + "noise": 7}}, "harmonic_noise"),
    ("noise_missing", {"u32": {H + "noise": None}}, "harmonic_head.out.conv"),
    ("latent_2", {"u32": {H + "latent": 3}}, "harmonic_latent"),
    ("latent_without_f0", {"u32": {H + "f0": None}}, "harmonic_latent = 0 .*expected a head that reads the f0"),
    ("floor_nan", {"f64": {"rt_synth.rave.loudness_floor_db": float("nan")}}, "loudness_floor_db"),
    ("floor_positive", {"f64": {"rt_synth.rave.loudness_floor_db": 5.0}}, "loudness_floor_db"),
    ("max_missing", {"f64": {"rt_synth.rave.loudness_max": None}}, "missing key 'rt_synth.rave.loudness_max'"),
    ("max_inf", {"f64": {"rt_synth.rave.loudness_max": float("inf")}}, "loudness_max"),
    ("missing_hidden", {"drop": "decoder.harmonic_head.hidden.0.conv.weight"}, "hidden.0"),
])
def test_bad_ddsp_head_keys_raise_model_file_error(tmp_path, monkeypatch, case, patch, match):
    path = _write_ddsp(tmp_path, monkeypatch, case, **patch)
    with pytest.raises(_core.ModelFileError, match=match) as exc:
        _core.RaveModel(str(path))
    msg = str(exc.value)
    assert ("expected" in msg or "allowed range" in msg or "missing tensor" in msg
            or "missing key" in msg), msg


def test_decoder_gate_floor_is_carried(tmp_path, monkeypatch):
    """config.decoder_gate_floor (decoder.py; harmonic-ddsp sets it) reaches the core: forward
    parity with a floor, and a floor outside [0, 1) is refused."""
    model, path = make_model(tmp_path, "tiny-harmonic-ddsp-floor", seed=7, name="floor")
    assert model.config.decoder_gate_floor > 0
    x = pitch_signal(0.5)
    ref = reference(model, x)
    core = _core.RaveModel(str(path))
    core.prepare(SR, 4096)
    assert np.abs(run_forward(core, x, 333) - ref["y"][: len(x)]).max() <= TOL
    bad = _write_ddsp(tmp_path, monkeypatch, "bad_floor", f64={"rt_synth.rave.decoder_gate_floor": 1.5},
                      config="tiny-harmonic-ddsp-floor")
    with pytest.raises(_core.ModelFileError, match="decoder_gate_floor"):
        _core.RaveModel(str(bad))


def test_decoder_dc_blocker_is_carried(tmp_path, monkeypatch):
    """config.decoder_dc_block_hz (band_dc_blocker.py; harmonic-ddsp sets it) reaches the core:
    the file is format version 2, forward parity at odd blocks, the blocker changes the output
    (the same weights without it differ), and a cutoff out of range is refused."""
    import dataclasses

    model, path = make_model(tmp_path, "tiny-harmonic-ddsp-dc", seed=7, name="dc")
    assert model.config.decoder_dc_block_hz > 0
    assert _core.ModelFile(str(path)).format_version == 2
    x = pitch_signal(0.5)
    ref = reference(model, x)
    core = _core.RaveModel(str(path))
    assert core.metadata["decoder_dc_block_hz"] == model.config.decoder_dc_block_hz
    assert core.metadata["decoder_gate_floor"] == model.config.decoder_gate_floor
    core.prepare(SR, 4096)
    for block in (1, 333):
        core.reset()
        assert np.abs(run_forward(core, x, block) - ref["y"][: len(x)]).max() <= TOL
    from rt_synth.kinds.rave.model.model import RaveModel

    plain = RaveModel(dataclasses.replace(model.config, decoder_dc_block_hz=0.0))
    plain.load_state_dict(model.state_dict())
    assert np.abs(reference(plain, x)["y"] - ref["y"]).max() > 1e-3
    bad = _write_ddsp(tmp_path, monkeypatch, "bad_dc", f64={"rt_synth.rave.decoder_dc_block_hz": 5000.0},
                      config="tiny-harmonic-ddsp-dc")
    with pytest.raises(_core.ModelFileError, match="decoder_dc_block_hz"):
        _core.RaveModel(str(bad))


def test_rave_synth_feeds_a_note_loudness(tmp_path):
    """RaveSynth plays a loudness-reading head with the note's level as its loudness input
    (velocity, CC 7/11; csrc/kinds/rave/rave_synth.h): the output of a note at velocity 64
    is then not the velocity-127 note scaled by the gain (64/127)², as it is for a head that
    does not read the loudness."""
    from rt_synth.synth.engine import note_off, note_on

    ratios = {}
    for config in ("tiny-harmonic", "tiny-harmonic-ddsp"):
        _, path = make_model(tmp_path, config, seed=7, name=config)
        out = {}
        for v in (127, 64):
            s = _core.RaveSynth(str(path))
            s.prepare(SR, 512)
            s.gain_db = -60.0  # far under the output limiter's threshold: the gain stays linear
            n = int(0.4 * SR)
            y = np.asarray(s.render([(0, note_on(67, v)), (int(0.3 * SR), note_off(67))], n, 512))
            assert np.isfinite(y).all() and np.abs(y).max() <= 1.0
            out[v] = y
        a, b = out[127], out[64] / (64 / 127) ** 2
        assert np.abs(a).max() > 1e-3
        ratios[config] = float(np.abs(a - b).max() / np.abs(a).max())
    print("\nrelative difference of the gain-compensated notes:", ratios)
    assert ratios["tiny-harmonic"] < 1e-4
    assert ratios["tiny-harmonic-ddsp"] > 1e-3  # (2e-3 with these random weights)
