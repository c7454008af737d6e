"""Effect models conditioned on knobs (docs/effect-models.md, "Knobs"): the config and the
network's inputs, pairs rendered at several knob settings, the native file's knob table, the
core's set_knob (parity with PyTorch at several values and across a change mid-stream, which
both sides apply from the next process() call), refusals, and a tiny training run whose output
depends on its knobs. The C ABI's knob parameters: tests/capi/test_effect_capi.py."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from rt_synth import _core
from rt_synth.errors import UserError
from rt_synth.kinds.effect.export.native import write_effect
from rt_synth.kinds.effect.model.config import CONFIGS, EffectConfig
from rt_synth.kinds.effect.model.model import EffectModel
from rt_synth.kinds.effect.trainer import run_whole

KNOBBED = ["lstm-knobs-tiny", "wavenet-knobs-tiny"]


def _random(name, seed=0):
    torch.manual_seed(seed)
    m = EffectModel(CONFIGS[name]).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.4)
    return m


def _x(n=3000, seed=1):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, n).astype(np.float32)


def test_knob_inputs_and_unconditioned_models_unchanged():
    lstm = EffectModel(CONFIGS["lstm-knobs-tiny"])
    assert lstm.net.lstm.input_size == 3  # [audio, gain, tone]
    wn = EffectModel(CONFIGS["wavenet-knobs-tiny"])
    assert wn.net.arrays[0].rechannel.in_channels == 1  # the audio in
    assert all(layer.input_mixer.in_channels == 3 for a in wn.net.arrays for layer in a.layers)
    # without knobs: the state dict, the config dict and the file's keys are those of before
    plain = EffectModel(CONFIGS["lstm-tiny"])
    assert plain.net.lstm.input_size == 1 and "knobs" not in plain.config.to_dict()
    assert EffectConfig.from_dict(CONFIGS["wavenet-knobs-tiny"].to_dict()) == CONFIGS["wavenet-knobs-tiny"]
    cfg = CONFIGS["lstm-knobs-tiny"]
    assert cfg.normalise_knobs({"gain": 30.0}) == [1.0, 0.5]
    assert cfg.normalise_knobs([0.0, 100.0]) == [0.0, 1.0]  # clamped to the ranges
    with pytest.raises(UserError, match="unknown knob"):
        cfg.normalise_knobs({"drive": 1.0})


def test_unconditioned_file_has_no_knob_keys(tmp_path):
    import gguf

    for name in ("lstm-tiny", "wavenet-tiny"):
        f = write_effect(_random(name), tmp_path / name, name)
        keys = set(gguf.GGUFReader(str(f)).fields)
        assert not any(k.startswith("rt_synth.effect.knobs") for k in keys)
        assert _core.EffectModel(str(f)).knobs == []


@pytest.mark.parametrize("name", KNOBBED)
def test_core_equals_pytorch_at_knob_values_and_across_a_change(tmp_path, name):
    m = _random(name)
    core = _core.EffectModel(str(write_effect(m, tmp_path / "fx", "fx")))
    assert core.knobs == [{"name": "gain", "min": 5.0, "max": 30.0, "default": 16.0},
                          {"name": "tone", "min": -6.0, "max": 6.0, "default": 0.0}]
    x = _x()
    outs = []
    for values in ([5.0, -6.0], [30.0, 6.0], [12.3, 1.7], [16.0, 0.0]):
        ref = run_whole(m, x, knobs=np.array(m.config.normalise_knobs(values)))
        core.set_knob("gain", values[0])
        core.set_knob(1, values[1])
        assert core.knob("gain") == pytest.approx(values[0])
        for block in (1, 64, 777):
            core.reset()
            y = np.concatenate([core.process(x[i:i + block]) for i in range(0, len(x), block)])
            assert np.abs(y - ref).max() <= 1e-4, (values, block)
        outs.append(ref)
    assert np.abs(outs[0] - outs[1]).max() > 1e-3  # the knobs change the sound
    np.testing.assert_allclose(run_whole(m, x), outs[3], atol=1e-6)  # None = the defaults
    # a change applies from the next process() call: PyTorch sees the new values from there
    cut = 1111
    k0, k1 = (np.array(m.config.normalise_knobs(v)) for v in ([5.0, -6.0], [30.0, 6.0]))
    track = np.concatenate([np.repeat(k0[:, None], cut, 1), np.repeat(k1[:, None], len(x) - cut, 1)], 1)
    ref = run_whole(m, x, knobs=track)
    core.set_knob("gain", 5.0)
    core.set_knob("tone", -6.0)
    core.reset()
    y0 = np.concatenate([core.process(x[i:min(i + 100, cut)]) for i in range(0, cut, 100)])
    core.set_knob("gain", 30.0)
    core.set_knob("tone", 6.0)
    y1 = core.process(x[cut:])
    err = np.abs(np.concatenate([y0, y1]) - ref).max()
    assert err <= 1e-4, err
    assert np.abs(y1 - outs[0][cut:]).max() > 1e-3  # it did change


def test_set_knob_clamps_and_refuses(tmp_path):
    core = _core.EffectModel(str(write_effect(_random("lstm-knobs-tiny"), tmp_path / "fx", "fx")))
    core.set_knob("gain", 1e9)
    assert core.knob("gain") == 30.0
    core.set_knob("gain", float("-inf"))
    assert core.knob(0) == 5.0
    with pytest.raises(ValueError, match="NaN"):
        core.set_knob("gain", float("nan"))
    assert core.knob("gain") == 5.0
    with pytest.raises(KeyError, match="no knob 'drive'.*gain, tone"):
        core.set_knob("drive", 1.0)
    with pytest.raises(IndexError):
        core.set_knob(2, 1.0)


@pytest.mark.parametrize("name", ["wavenet-knobs-tiny", "lstm-knobs-tiny"])
def test_torchscript_and_onnx_take_the_knobs_as_inputs(tmp_path, name):
    """nn~: forward [B, 1 + K, N], the knobs as signals in their own units after the audio
    (Pd: [sig~ 20] into inlet 2), equal to PyTorch from the first sample (the first call's
    knobs set the silence after reset, as in the core); ONNX: a knobs input [1, K, block],
    equal once the receptive field has passed (its zero state is silence at the defaults)."""
    import torch

    from rt_synth.kinds.effect.export.onnx import OnnxEffectStream, export_onnx
    from rt_synth.kinds.effect.export.torchscript import export_torchscript

    m = _random(name)
    cfg = m.config
    x = _x(4096)
    for pos in (0.8, 0.1):
        raw = [k["min"] + pos * (k["max"] - k["min"]) for k in cfg.knobs]
        with torch.no_grad():
            ref = m.net(torch.from_numpy(x)[None], torch.tensor([cfg.normalise_knobs(raw)]))[0].numpy()
        inp = np.concatenate([x[None], np.repeat(np.array(raw, np.float32)[:, None], len(x), 1)])
        ts = torch.jit.load(str(export_torchscript(m, tmp_path / "fx.ts")))
        assert int(ts.forward_params[0]) == 1 + len(cfg.knobs) and list(ts.get_knob_names()) == ["gain", "tone"]
        ts.reset()
        y = np.concatenate([ts.forward(torch.from_numpy(inp[:, i:i + 333])[None])[0, 0].numpy()
                            for i in range(0, len(x), 333)])
        assert np.std(ref) > 1e-3 and np.abs(y - ref).max() <= 1e-5, pos
        o = OnnxEffectStream(export_onnx(m, tmp_path / "fx.onnx"))
        assert o.knob_names == ["gain", "tone"]
        yo = np.concatenate([o.step(x[None, None, i:i + 64], inp[None, 1:, i:i + 64])[0, 0] for i in range(0, 4096, 64)])
        rf = m.net.receptive_field if cfg.arch == "wavenet" else 0
        assert np.abs(yo[rf:] - ref[rf:]).max() <= 1e-4, pos
    # a knob out of range or NaN plays as the core plays it: clamped, NaN = the default
    inp[1, :] = 1e9
    inp[2, :] = np.nan
    ts.reset()
    y = ts.forward(torch.from_numpy(inp)[None])[0, 0].numpy()
    clamped = [cfg.knobs[0]["max"], cfg.knobs[1]["default"]]
    with torch.no_grad():
        ref = m.net(torch.from_numpy(x)[None], torch.tensor([cfg.normalise_knobs(clamped)]))[0].numpy()
    assert np.abs(y - ref).max() <= 1e-5


def test_a_file_whose_condition_does_not_match_its_knobs_is_refused(tmp_path):
    import dataclasses

    m = _random("wavenet-knobs-tiny")
    plain = dataclasses.replace(m.config, knobs=())  # the knob table dropped, condition 3 kept
    m.config = plain
    f = write_effect(m, tmp_path / "fx", "fx")
    with pytest.raises(ValueError, match="condition_size.*3.*1 \\(the audio and the file's 0 knobs\\)"):
        _core.EffectModel(str(f))


@pytest.fixture(scope="module")
def knob_pairs(tmp_path_factory):
    from rt_synth.data.pairs import load_pair_knobs, load_pairs, render_effect_pairs

    d = tmp_path_factory.mktemp("kp")
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "data", "pairs", "render", "--out",
                        str(d / "p"), "--seconds", "0", "--knobs", "3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "overdrive-knobs" in r.stdout
    p = d / "p"
    info = json.loads((p / "pairs.json").read_text())
    assert [k["name"] for k in info["knobs"]] == ["gain", "tone"] and info["knob_settings"] == 3
    x, y, _ = load_pairs(p, "train")  # loads as any pairs folder
    table, runs = load_pair_knobs(p, "train")
    assert len(runs) == 3 and runs[-1]["start"] + runs[-1]["length"] == len(x)
    gains = [r["values"][0] for r in runs]
    assert all(5.0 <= g <= 30.0 for g in gains) and max(gains) - min(gains) > 5
    # the same dry audio, rendered louder at a higher gain: the knob is in the target
    lo, hi = min(runs, key=lambda r: r["values"][0]), max(runs, key=lambda r: r["values"][0])
    assert np.array_equal(x[lo["start"]:lo["start"] + lo["length"]], x[hi["start"]:hi["start"] + hi["length"]])
    rms = [np.std(y[r["start"]:r["start"] + r["length"]]) for r in (lo, hi)]
    assert rms[1] > 1.1 * rms[0]
    plain = render_effect_pairs(d / "plain", seconds=0, seed=0)
    assert load_pair_knobs(plain, "train") is None and "knobs" not in json.loads((plain / "pairs.json").read_text())
    return p, plain


def test_knob_model_on_pairs_without_knobs_is_refused(tmp_path, knob_pairs):
    _, plain = knob_pairs
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "train", "effect", "--data", str(plain),
                        "--out", str(tmp_path / "run"), "--config", "wavenet-knobs-tiny", "--steps", "2"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "have none" in r.stderr


def test_training_with_knobs_learns_the_knob_and_exports_it(tmp_path, knob_pairs):
    from rt_synth.data.pairs import load_pairs
    from rt_synth.kinds.effect.loss import esr
    from rt_synth.kinds.effect.trainer import knob_runs, knob_track

    pairs, _ = knob_pairs
    run = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "train", "effect", "--data", str(pairs),
                        "--out", str(run), "--config", "wavenet-knobs-tiny", "--steps", "600"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = EffectModel.from_payload(torch.load(run / "model.pt", weights_only=False)).eval()
    assert m.config.knob_names == ("gain", "tone")
    x, y, _ = load_pairs(pairs, "valid")
    runs = knob_runs(m.config, str(pairs), "valid", len(x))
    pred = run_whole(m, x, knobs=knob_track(runs, len(x)))
    held = float(esr(torch.from_numpy(y), torch.from_numpy(pred)))
    assert np.isfinite(held) and held < 1.0
    # with each setting's knobs reversed (1 - value) the same audio fits worse: the model uses them
    rev = [{**r, "norm": [1.0 - v for v in r["norm"]]} for r in runs]
    wrong = float(esr(torch.from_numpy(y), torch.from_numpy(run_whole(m, x, knobs=knob_track(rev, len(x))))))
    assert held < wrong, (held, wrong)
    # the knob matters, the way the device's does: gain max is louder than gain min
    seg = x[: runs[0]["length"]]
    lo = run_whole(m, seg, knobs=np.array([0.0, 0.5]))
    hi = run_whole(m, seg, knobs=np.array([1.0, 0.5]))
    assert np.std(hi) > 1.02 * np.std(lo), (np.std(lo), np.std(hi))
    # exported: the core plays the knobs as PyTorch does; TorchScript/ONNX skipped, said
    r = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "export", str(run), "--out",
                        str(tmp_path / "fx")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for ext in ("rtsynth", "ts", "onnx", "pt"):  # every format carries the knobs
        assert (tmp_path / f"fx.{ext}").is_file(), ext
    core = _core.EffectModel(str(tmp_path / "fx.rtsynth"))
    core.set_knob("gain", 30.0)
    core.set_knob("tone", 0.0)
    core.reset()
    assert np.abs(core.process(seg) - hi).max() <= 1e-4
    # the held-out figure plays each part of the recording at the device's settings, in
    # PyTorch (the run) and in the core (the file) alike, and better than at the defaults
    from rt_synth.kinds.effect.heldout import evaluate

    in_torch = evaluate(str(run), str(pairs), perceptual=False)
    in_core = evaluate(str(tmp_path / "fx.rtsynth"), str(pairs), perceptual=False)
    assert in_core["runtime"] == "core" and in_core["esr"] == pytest.approx(in_torch["esr"], rel=1e-3)
    assert in_torch["splits"]["valid"]["esr"] == pytest.approx(held, rel=1e-3)


def test_transfer_plays_a_file_at_the_knobs_given(tmp_path):
    import soundfile as sf

    from rt_synth.kinds.effect.export.native import write_effect

    m = _random("wavenet-knobs-tiny")
    path = write_effect(m, tmp_path / "fx", "fx")
    x = _x(9000)
    sf.write(tmp_path / "dry.wav", x, 48000, subtype="FLOAT")
    cli = lambda *a: subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "transfer", *a],  # noqa: E731
                                    capture_output=True, text=True)
    r = cli(str(path), str(tmp_path / "dry.wav"), str(tmp_path / "wet.wav"), "--knob", "gain=30", "--knob", "tone=-6")
    assert r.returncode == 0 and "gain 30, tone -6" in r.stdout, r.stdout + r.stderr
    core = _core.EffectModel(str(path))
    core.set_knob("gain", 30.0)
    core.set_knob("tone", -6.0)
    core.reset()
    ref = np.concatenate([core.process(x[i:i + 512]) for i in range(0, len(x), 512)])
    wet, _ = sf.read(tmp_path / "wet.wav", dtype="float32")
    np.testing.assert_array_equal(wet, ref)
    default, _ = sf.read(tmp_path / "wet.wav", dtype="float32")
    r = cli(str(path), str(tmp_path / "dry.wav"), str(tmp_path / "d.wav"))
    assert r.returncode == 0 and "gain 16, tone 0" in r.stdout
    assert np.abs(sf.read(tmp_path / "d.wav", dtype="float32")[0] - default).max() > 1e-4  # the knobs mattered
    r = cli(str(path), str(tmp_path / "dry.wav"), str(tmp_path / "x.wav"), "--knob", "drive=3")
    assert r.returncode == 2 and "has the knobs gain, tone" in r.stderr
    r = cli(str(path), str(tmp_path / "dry.wav"), str(tmp_path / "x.wav"), "--knob", "gain")
    assert r.returncode == 2 and "NAME=VALUE" in r.stderr
    r = cli("violin-live-ddsp", str(tmp_path / "dry.wav"), str(tmp_path / "x.wav"), "--knob", "gain=3")
    assert r.returncode == 2 and "--knob applies to effect models" in r.stderr
