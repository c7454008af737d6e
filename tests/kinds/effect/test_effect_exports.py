"""TorchScript (nn~ contract) and ONNX exports of effect models: streamed in blocks they equal
the PyTorch model from silence; the .ts loads without rt_synth; `rt-synth export` writes both."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from rt_synth.export.nn_tilde_host import NNTildeHost
from rt_synth.kinds.effect.export.onnx import OnnxEffectStream, export_onnx
from rt_synth.kinds.effect.export.torchscript import export_torchscript, script_effect
from rt_synth.kinds.effect.model.config import CONFIGS
from rt_synth.kinds.effect.model.model import EffectModel


def _model(name, seed=0, learned_state=False):
    torch.manual_seed(seed)
    cfg = CONFIGS[name]
    if name == "wavenet-tiny":  # a head scale that makes the tiny model's output audible
        cfg = cfg.with_overrides(head_scale=1.0)
    m = EffectModel(cfg).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    if learned_state:
        if not hasattr(m.net, "has_initial_state"):
            pytest.skip("this LSTMEffect has no learned initial state")
        sd = m.net.state_dict()
        shape = (m.config.num_layers, m.config.hidden_size)
        sd["h0"], sd["c0"] = torch.randn(shape) * 0.5, torch.randn(shape) * 0.5
        m.net.load_state_dict(sd)
        assert m.net.has_initial_state
    return m


def _signal(n=4500, seed=1):
    return np.random.default_rng(seed).uniform(-0.8, 0.8, n).astype(np.float32)


def _reference(m, x):
    with torch.no_grad():
        return m(torch.from_numpy(x)[None])[0].numpy()


CASES = [("lstm-tiny", False), ("lstm-tiny", True), ("wavenet-tiny", False),
         ("wavenet-standard", False)]


@pytest.mark.parametrize("name,learned", CASES)
def test_torchscript_blocks_equal_the_model(name, learned):
    m = _model(name, learned_state=learned)
    x = _signal()
    ref = _reference(m, x)
    assert np.std(ref) > 0.01
    ts = script_effect(m)
    assert list(ts.get_methods()) == ["forward"] and list(ts.get_attributes()) == []
    assert ts.forward_params.tolist() == [1, 1, 1, 1] and ts.get_latency_samples() == 0
    xt = torch.from_numpy(x)
    for block in (1, 64, 333, len(x)):
        # one-sample calls: 1 200 of them, past wavenet-standard's largest history (2 × 512)
        xs = xt[:1200] if block == 1 else xt
        ts.reset()
        with torch.inference_mode():
            y = torch.cat([ts(xs[i:i + block].view(1, 1, -1))[0, 0]
                           for i in range(0, len(xs), block)]).numpy()
        np.testing.assert_allclose(y, ref[:len(xs)], atol=1e-5, rtol=0, err_msg=str(block))


def test_torchscript_in_nn_tilde_batches_and_reset():
    m = _model("wavenet-tiny")
    ts = script_effect(m)
    x = np.stack([_signal(4096, 2), _signal(4096, 3)])
    ref = np.stack([_reference(m, x[0]), _reference(m, x[1])])
    host = NNTildeHost(ts, "forward", buffer_size=2048, batch=2)
    xt = torch.from_numpy(x)[:, None]
    y = torch.cat([host.process(xt[..., i:i + 2048]) for i in (0, 2048)], 2)[:, 0].numpy()
    np.testing.assert_allclose(y, ref, atol=1e-5, rtol=0)
    ts.reset()  # back to silence: the first buffer again
    np.testing.assert_allclose(host.process(xt[..., :2048])[:, 0].numpy(), ref[:, :2048],
                               atol=1e-5, rtol=0)


def test_torchscript_loads_in_a_fresh_process_without_rt_synth(tmp_path):
    m = _model("lstm-tiny", learned_state=hasattr(EffectModel(CONFIGS["lstm-tiny"]).net,
                                                  "has_initial_state"))
    path = export_torchscript(m, tmp_path / "fx.ts")
    x = _signal(3000)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "ref.npy", _reference(m, x))
    code = (
        "import sys, numpy as np, torch\n"
        f"m = torch.jit.load({str(path)!r})\n"
        f"x = torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"ref = np.load({str(tmp_path / 'ref.npy')!r})\n"
        "y = torch.cat([m.forward(x[i:i + 512].view(1, 1, -1))[0, 0] for i in range(0, 3000, 512)])\n"
        "assert 'rt_synth' not in sys.modules, 'rt_synth was imported'\n"
        "assert list(m.get_methods()) == ['forward']\n"
        "print(float(np.abs(y.detach().numpy() - ref).max()))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip().splitlines()[-1]) <= 1e-5


@pytest.mark.parametrize("name,learned", CASES)
def test_onnx_chained_blocks_equal_the_model(tmp_path, name, learned):
    m = _model(name, learned_state=learned)
    x = _signal(64 * 70)
    ref = _reference(m, x)
    stream = OnnxEffectStream(export_onnx(m, tmp_path / "fx.onnx"))
    meta = stream.session.get_modelmeta().custom_metadata_map
    assert stream.block == 64 and meta["rt_synth.block"] == "64"
    assert meta["rt_synth.kind"] == "effect" and meta["rt_synth.effect.arch"] == m.config.arch
    for _ in range(2):  # zeros are the state after reset
        y = np.concatenate([stream.step(x[None, None, i:i + 64])[0, 0]
                            for i in range(0, len(x), 64)])
        np.testing.assert_allclose(y, ref, atol=1e-4, rtol=0)
        stream.reset()


def test_rt_synth_export_writes_every_format(tmp_path):
    from rt_synth.cli.export_cmd import export_model
    from rt_synth.core import load_core

    m = _model("wavenet-tiny")
    torch.save(m.payload(), tmp_path / "run.pt")
    written = export_model(str(tmp_path / "run.pt"), str(tmp_path / "fx"), onnx_frames=2)
    assert {k: p.name for k, p in written.items()} == {
        "native": "fx.rtsynth", "torchscript": "fx.ts", "onnx": "fx.onnx", "checkpoint": "fx.pt"}
    x = _signal(1024)
    ref = _reference(m, x)
    core = load_core().EffectModel(str(written["native"]))
    ts = torch.jit.load(str(written["torchscript"]))
    stream = OnnxEffectStream(written["onnx"])
    assert stream.block == 128  # --onnx-frames 2: 2 × 64 samples
    with torch.inference_mode():
        y_ts = ts(torch.from_numpy(x).view(1, 1, -1))[0, 0].numpy()
    y_onnx = np.concatenate([stream.step(x[None, None, i:i + 128])[0, 0] for i in range(0, 1024, 128)])
    for y in (core.process(x), y_ts, y_onnx):
        np.testing.assert_allclose(y, ref, atol=1e-4, rtol=0)
