"""Effect models (kind "effect"): streaming equals whole-signal processing, causality and
receptive field, the loss, training with resume, export and the held-out figure."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from rt_synth.errors import UserError
from rt_synth.kinds.effect.loss import effect_loss, esr, pre_emphasis
from rt_synth.kinds.effect.model.config import CONFIGS, EffectConfig
from rt_synth.kinds.effect.model.model import EffectModel
from rt_synth.kinds.effect.trainer import run_whole


def _model(name, seed=0):
    torch.manual_seed(seed)
    m = EffectModel(CONFIGS[name]).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    return m


@pytest.mark.parametrize("name", ["lstm-tiny", "wavenet-tiny", "wavenet-nano"])
def test_blocks_of_any_size_give_the_whole_signal(name):
    m = _model(name)
    x = np.random.default_rng(0).uniform(-0.8, 0.8, 3000).astype(np.float32)
    with torch.no_grad():
        whole = m(torch.from_numpy(x)[None])[0].numpy()
    for block in (1, 7, 64, 1000, 4096):
        np.testing.assert_allclose(run_whole(m, x, block), whole, atol=2e-6)
    assert np.all(np.isfinite(whole)) and np.std(whole) > 1e-3


@pytest.mark.parametrize("name", ["wavenet-tiny", "wavenet-standard"])
def test_wavenet_is_causal_with_its_stated_receptive_field(name):
    m = _model(name)
    rf = m.config.receptive_field
    assert rf == m.net.receptive_field == 1 + 2 * sum(CONFIGS[name].layers[0]["dilations"]) * 2
    n = rf + 200
    x = torch.from_numpy(np.random.default_rng(1).uniform(-0.5, 0.5, n).astype(np.float32))[None]
    with torch.no_grad():
        y = m(x)
        later = x.clone()
        later[0, n - 50:] += 0.3  # the future does not change the past
        assert torch.equal(m(later)[0, : n - 50], y[0, : n - 50])
    # output t depends on x[t-rf+1 .. t], every one of them (in float64 the influence of the
    # oldest sample, a product of one tap per layer, is small but not zero)
    m = m.double()
    xd = x.double().requires_grad_(True)
    t = n - 1
    m(xd)[0, t].backward()
    g = xd.grad[0].abs()
    assert torch.all(g[t - rf + 1: t + 1] > 0) and g[: t - rf + 1].max() == 0


def test_lstm_skip_passes_the_input_through():
    m = EffectModel(EffectConfig(arch="lstm", hidden_size=4, skip=True))
    for p in m.net.head.parameters():
        p.data.zero_()
    x = torch.randn(2, 100)
    assert torch.equal(m(x), x)


def test_loss_figures():
    y = torch.randn(3, 500)
    assert float(esr(y, y)) == 0.0
    assert float(esr(y, torch.zeros_like(y))) == pytest.approx(1.0)
    assert float(esr(y, 0.9 * y)) == pytest.approx(0.01, rel=1e-5)
    np.testing.assert_allclose(pre_emphasis(y, 0.95), y[:, 1:] - 0.95 * y[:, :-1])
    dc = effect_loss(y, y + 0.5, 0.95, 1.0)
    # pre-emphasis all but hides an offset (gain 1 - 0.95 at 0 Hz); the DC term does not
    assert float(dc["esr_pre"]) < 1e-3 and float(dc["dc"]) > 0.2


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    from rt_synth.data.pairs import render_effect_pairs

    d = tmp_path_factory.mktemp("pairs")
    return render_effect_pairs(d / "train", seconds=6, seed=0), render_effect_pairs(d / "held", seconds=2, seed=5)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "rt_synth.cli.main", *args], capture_output=True, text=True)


@pytest.mark.parametrize("config", ["lstm-tiny", "wavenet-tiny"])
def test_training_learns_resumes_and_exports_its_checkpoint(tmp_path, pairs_dir, config):
    train, held = pairs_dir
    run = tmp_path / "run"
    r = _cli("train", "effect", "--data", str(train), "--out", str(run), "--config", config, "--steps", "40")
    assert r.returncode == 0, r.stderr
    hist = json.loads((run / "run.json").read_text())
    assert hist["kind"] == "effect" and hist["config"]["arch"] == config.split("-")[0]
    r = _cli("train", "effect", "--data", str(train), "--out", str(run), "--steps", "60")
    assert r.returncode == 0 and "resuming" in r.stdout and "at step 40" in r.stdout
    payload = torch.load(run / "model.pt", weights_only=False)
    assert payload["step"] == 60 and payload["kind"] == "effect"
    ckpt = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    losses = [v for _, v in ckpt["history"]["train"]]
    assert np.mean(losses[-2:]) < losses[0]  # it learns
    from rt_synth.kinds.effect.heldout import evaluate

    figures = evaluate(str(run), str(held))
    assert 0 < figures["esr"] < 1.5 and np.isfinite(figures["error_db"])
    assert set(figures["splits"]) == {"train", "valid"}
    v = figures["splits"]["valid"]  # the independent trackers' figures ride along
    assert np.isfinite(v["loudness_error_db"]) and v["loudness_error_db"] >= 0 and v["mcd_db"] > 0
    r = _cli("export", str(run), "--out", str(tmp_path / "fx"), "--formats", "checkpoint")
    assert r.returncode == 0 and (tmp_path / "fx.pt").is_file()
    r = _cli("export", str(run), "--out", str(tmp_path / "fx2"))  # all formats
    assert r.returncode == 0, r.stderr
    for ext in ("rtsynth", "ts", "onnx", "pt"):
        assert (tmp_path / f"fx2.{ext}").is_file(), ext


def test_training_on_a_folder_that_is_not_pairs_names_it(tmp_path):
    r = _cli("train", "effect", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--config", "lstm-tiny")
    assert r.returncode == 2 and f"{tmp_path} is not a pairs folder" in r.stderr


def test_unknown_effect_config_is_refused():
    from rt_synth.kinds.effect.model.config import get_config

    with pytest.raises(UserError, match="unknown effect config 'huge'"):
        get_config("huge")
