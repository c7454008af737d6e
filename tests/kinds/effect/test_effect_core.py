"""The effect kind in the C++ core (csrc/kinds/effect, `_core.EffectModel`): parity with the
PyTorch model at any block size, hostile input, refused files, and the export → info path."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from rt_synth import _core
from rt_synth.export.native import finish_writer, open_writer
from rt_synth.kinds.effect.export.native import write_effect
from rt_synth.kinds.effect.model.config import CONFIGS, EffectConfig
from rt_synth.kinds.effect.model.model import EffectModel


def _random(hidden=8, layers=1, skip=True, arch="lstm", seed=0):
    torch.manual_seed(seed)
    cfg = CONFIGS["wavenet-tiny"] if arch == "wavenet" else EffectConfig(
        arch="lstm", hidden_size=hidden, num_layers=layers, skip=skip)
    m = EffectModel(cfg).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.4)
    return m


@pytest.mark.parametrize("hidden,layers,skip", [(8, 1, True), (32, 1, True), (16, 2, False)])
def test_core_equals_pytorch_at_any_block_size(tmp_path, hidden, layers, skip):
    m = _random(hidden, layers, skip)
    core = _core.EffectModel(str(write_effect(m, tmp_path / "fx", "fx")))
    assert (core.kind, core.arch, core.latency, core.sample_rate) == ("effect", "lstm", 0, 48000)
    x = np.random.default_rng(1).uniform(-0.9, 0.9, 6000).astype(np.float32)
    with torch.no_grad():
        ref = m.double()(torch.from_numpy(x).double()[None])[0].numpy()
    assert np.std(ref) > 0.05
    for block in (1, 64, 777, 6000):
        core.reset()
        y = np.concatenate([core.process(x[i:i + block]) for i in range(0, len(x), block)])
        assert np.abs(y - ref).max() <= 1e-5, block


def test_hostile_input_stays_finite_and_bounded_and_reset_forgets_it(tmp_path):
    m = _random(16)
    core = _core.EffectModel(str(write_effect(m, tmp_path / "fx", "fx")))
    x = np.random.default_rng(2).uniform(-0.5, 0.5, 2000).astype(np.float32)
    fresh = core.process(x)
    hostile = np.array([np.nan, np.inf, -np.inf, 1e6, -1e6, 1e30] * 200, np.float32)
    y = core.process(hostile)
    y2 = core.process(16.0 * (1 - 2 * (np.arange(4000) % 2)).astype(np.float32))
    for out in (y, y2):
        assert np.all(np.isfinite(out)) and np.abs(out).max() <= 4.0
    core.reset()
    np.testing.assert_array_equal(core.process(x), fresh)


def _write_raw(path, keys, tensors):
    w, p = open_writer(path, "effect", "odd")
    for k, v in keys.items():
        (w.add_string if isinstance(v, str) else w.add_uint32)(k, v)
    finish_writer(w, tensors)
    return str(p)


def test_bad_files_are_refused_by_name(tmp_path):
    m = _random(8)
    good = {f"lstm.l0.{n}": t for n, t in (
        ("weight_ih", m.net.lstm.weight_ih_l0), ("weight_hh", m.net.lstm.weight_hh_l0),
        ("bias_ih", m.net.lstm.bias_ih_l0), ("bias_hh", m.net.lstm.bias_hh_l0))}
    good = {k: v.detach().numpy() for k, v in good.items()}
    good.update({"head.weight": m.net.head.weight.detach().numpy(), "head.bias": m.net.head.bias.detach().numpy()})
    keys = {"rt_synth.sample_rate": 48000, "rt_synth.latency_samples": 0, "rt_synth.effect.arch": "lstm",
            "rt_synth.effect.hidden_size": 8, "rt_synth.effect.num_layers": 1, "rt_synth.effect.skip": 1}
    assert _core.EffectModel(_write_raw(tmp_path / "ok", keys, good)).arch == "lstm"
    cases = {
        "arch": ({**keys, "rt_synth.effect.arch": "transformer"}, good, "architecture 'transformer'"),
        "hidden": ({**keys, "rt_synth.effect.hidden_size": 100000}, good, "rt_synth.effect.hidden_size"),
        "layers": ({**keys, "rt_synth.effect.num_layers": 0}, good, "rt_synth.effect.num_layers"),
        "shape": ({**keys, "rt_synth.effect.hidden_size": 9}, good, "lstm.l0.weight_ih"),
        "missing": (keys, {k: v for k, v in good.items() if k != "head.bias"}, "head.bias"),
    }
    for name, (k, t, needle) in cases.items():
        path = _write_raw(tmp_path / name, k, t)
        with pytest.raises(ValueError) as e:
            _core.EffectModel(path)
        assert needle in str(e.value) and name in str(e.value), (name, str(e.value))
    truncated = tmp_path / "cut.rtsynth"
    truncated.write_bytes((tmp_path / "ok.rtsynth").read_bytes()[:300])
    with pytest.raises(ValueError, match="cut.rtsynth"):
        _core.EffectModel(str(truncated))


def test_a_trained_run_exports_a_native_file_that_info_describes(tmp_path):
    from rt_synth.data.pairs import render_effect_pairs

    pairs = render_effect_pairs(tmp_path / "pairs", seconds=2, seed=1)
    run = tmp_path / "run"
    cli = lambda *a: subprocess.run([sys.executable, "-m", "rt_synth.cli.main", *a],  # noqa: E731
                                    capture_output=True, text=True)
    assert cli("train", "effect", "--data", str(pairs), "--out", str(run), "--config", "lstm-tiny",
               "--steps", "20").returncode == 0
    r = cli("export", str(run), "--out", str(tmp_path / "fx"), "--formats", "native,checkpoint")
    assert r.returncode == 0, r.stderr
    r = cli("info", str(tmp_path / "fx.rtsynth"), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["kind"] == "effect" and info["latency_samples"] == 0
    assert info["metadata"]["effect.arch"] == "lstm" and info["metadata"]["effect.hidden_size"] == 8
    payload = torch.load(run / "model.pt", weights_only=False)
    m = EffectModel.from_payload(payload).eval()
    x = np.random.default_rng(3).uniform(-0.5, 0.5, 3000).astype(np.float32)
    with torch.no_grad():
        ref = m(torch.from_numpy(x)[None])[0].numpy()
    np.testing.assert_allclose(_core.EffectModel(str(tmp_path / "fx.rtsynth")).process(x), ref, atol=1e-5)
    import soundfile as sf

    sf.write(tmp_path / "dry.wav", x, 48000, subtype="FLOAT")
    sf.write(tmp_path / "dry44.wav", x, 44100, subtype="FLOAT")
    r = cli("transfer", str(tmp_path / "fx.rtsynth"), str(tmp_path / "dry.wav"), str(tmp_path / "wet.wav"),
            "--block", "100")
    assert r.returncode == 0, r.stderr
    wet, sr = sf.read(tmp_path / "wet.wav", dtype="float32")
    assert sr == 48000
    np.testing.assert_allclose(wet, ref, atol=1e-5)
    # a 44.1 kHz file: resampled around the model by the core's HostAdapter, as the C ABI and
    # the plugins play it (the same samples), its delay reported and, asked, compensated
    r = cli("transfer", str(tmp_path / "fx.rtsynth"), str(tmp_path / "dry44.wav"), str(tmp_path / "w44.wav"))
    assert r.returncode == 0 and "at 44100 Hz (resampled around the model's 48000 Hz)" in r.stdout, r.stderr
    w44, sr44 = sf.read(tmp_path / "w44.wav", dtype="float32")
    assert sr44 == 44100 and len(w44) == len(x)
    from rt_synth.capi import CModel

    c = CModel(tmp_path / "fx.rtsynth", "transfer")
    c.prepare(44100, 512)
    c_out = np.concatenate([c.process(inputs=[x[i:i + 512]])[0] for i in range(0, len(x), 512)])
    assert np.abs(c_out).max() > 1e-2 and np.abs(w44 - c_out).max() <= 1e-6
    lat = c.latency
    assert lat > 0 and f"latency {lat} samples" in r.stdout
    r = cli("transfer", str(tmp_path / "fx.rtsynth"), str(tmp_path / "dry44.wav"), str(tmp_path / "c44.wav"),
            "--compensate-latency")
    c44, _ = sf.read(tmp_path / "c44.wav", dtype="float32")
    assert r.returncode == 0 and len(c44) == len(x) and np.array_equal(c44[:len(x) - lat], w44[lat:])
    r = cli("transfer", str(tmp_path / "fx.rtsynth"), str(tmp_path / "dry.wav"), str(tmp_path / "w.wav"),
            "--pitch-shift", "2")
    assert r.returncode == 2 and "--pitch-shift" in r.stderr
    from rt_synth.kinds.effect.heldout import evaluate

    in_core = evaluate(str(tmp_path / "fx.rtsynth"), str(pairs), perceptual=False)
    in_torch = evaluate(str(run), str(pairs), perceptual=False)
    assert in_core["runtime"] == "core" and in_torch["runtime"] == "pytorch"
    assert in_core["esr"] == pytest.approx(in_torch["esr"], rel=1e-3)


@pytest.mark.parametrize("name", ["wavenet-tiny", "wavenet-nano", "wavenet-standard"])
def test_wavenet_in_the_core_equals_pytorch_from_the_first_sample(tmp_path, name):
    """The core pre-warms each layer's history with what silence leaves there, so its output
    equals the zero-padded PyTorch model from sample 0, at any block size."""
    from dataclasses import replace

    torch.manual_seed(0)
    scale = 0.05 if name == "wavenet-standard" else 1.0  # outputs of order 0.1..1, inside the bound
    m = EffectModel(replace(CONFIGS[name], head_scale=scale)).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    core_path = write_effect(m, tmp_path / "wn", "wn")
    core = _core.EffectModel(str(core_path))
    assert core.arch == "wavenet" and core.latency == 0
    x = np.random.default_rng(1).uniform(-0.9, 0.9, m.config.receptive_field + 3000).astype(np.float32)
    with torch.no_grad():
        ref = m.double()(torch.from_numpy(x).double()[None])[0].numpy()
    assert np.std(ref) > 0.05 and np.abs(ref).max() < 4.0
    for block in (1, 64, 300, len(x)):
        core.reset()
        y = np.concatenate([core.process(x[i:i + block]) for i in range(0, len(x), block)])
        assert np.abs(y - ref).max() <= 1e-4 * max(1.0, np.abs(ref).max()), block


def test_wavenet_files_with_inconsistent_arrays_are_refused(tmp_path):
    import gguf

    m = EffectModel(CONFIGS["wavenet-tiny"]).eval()
    good = write_effect(m, tmp_path / "good", "good")
    reader = gguf.GGUFReader(str(good))
    tensors = {t.name: np.array(t.data).reshape([int(d) for d in reversed(t.shape)]) for t in reader.tensors}
    base = {"rt_synth.sample_rate": 48000, "rt_synth.latency_samples": 0, "rt_synth.effect.arch": "wavenet"}

    def write(tag, arrays, second_channels=2):
        w, p = open_writer(tmp_path / tag, "effect", tag)
        for k, v in base.items():
            (w.add_string if isinstance(v, str) else w.add_uint32)(k, v)
        w.add_uint32("rt_synth.effect.wavenet.arrays", arrays)
        w.add_float32("rt_synth.effect.wavenet.head_scale", 0.02)
        for a, la in enumerate(CONFIGS["wavenet-tiny"].layers):
            q = f"rt_synth.effect.wavenet.{a}."
            for key in ("input_size", "condition_size", "head_size", "kernel_size"):
                w.add_uint32(q + key, int(la[key]))
            w.add_uint32(q + "channels", int(la["channels"]) if a == 0 else second_channels)
            w.add_array(q + "dilations", list(la["dilations"]))
            w.add_string(q + "activation", "Tanh")
            w.add_uint32(q + "gated", 0)
            w.add_uint32(q + "head_bias", int(la["head_bias"]))
        finish_writer(w, tensors)
        return str(p)

    assert _core.EffectModel(write("ok", 2)).arch == "wavenet"
    with pytest.raises(ValueError, match=r"none.rtsynth.*rt_synth.effect.wavenet.arrays"):
        _core.EffectModel(write("none", 0))
    with pytest.raises(ValueError, match=r"chan.rtsynth.*rt_synth.effect.wavenet.1.channels"):
        _core.EffectModel(write("chan", 2, second_channels=3))
