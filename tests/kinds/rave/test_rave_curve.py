"""rt_synth.kinds.rave.curve on two tiny checkpoints (configs tiny and tiny-pitched): one point
per step (last.pt does not add a step twice, a half-written file is skipped), finite scores,
the PNG and the JSON written; reconstruct_aligned removes the model's latency."""
from __future__ import annotations

import json
import math

import numpy as np
import torch

from rt_synth.kinds.rave.curve import list_checkpoints, main, reconstruct_aligned
from rt_synth.kinds.rave.model.config import get_config
from rt_synth.kinds.rave.model.model import RaveModel


def _save(folder, name, config, step, seed):
    torch.manual_seed(seed)
    model = RaveModel(get_config(config))
    torch.save({"step": step, "model": model.payload(), "modules": {"model": model.state_dict()}}, folder / name)
    return model


def _folder(tmp_path):
    d = tmp_path / "ckpt"
    d.mkdir()
    _save(d, "step_0000004.pt", "tiny", 4, 0)
    _save(d, "step_0000008.pt", "tiny-pitched", 8, 1)
    _save(d, "last.pt", "tiny-pitched", 8, 1)
    return d


def test_list_checkpoints_one_per_step(tmp_path):
    d = _folder(tmp_path)
    (d / "notes.pt").write_text("not a checkpoint")  # no step anywhere: ignored
    found = list_checkpoints(d)
    assert [s for s, _ in found] == [4, 8]
    assert found[1][1].name == "step_0000008.pt"


def test_curve_command(tmp_path, capsys):
    d = _folder(tmp_path)
    (d / "step_0000012.pt").write_bytes(b"PK\x03\x04 half a file")  # being copied in
    png = tmp_path / "curve.png"
    assert main([str(d), "--seconds", "2", "--instruments", "violin", "--ddsp", "", "--out", str(png), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [p["step"] for p in r["points"]] == [4, 8]
    assert [p["pitch_source"] for p in r["points"]] == [False, True]
    for p in r["points"]:
        for key in ("mcd_db", "loudness_mean_abs_db"):
            assert math.isfinite(p["scores"]["pooled"][key]) and p["scores"]["pooled"][key] > 0, p
    assert png.stat().st_size > 10_000


def test_reconstruct_aligned_removes_latency_and_is_repeatable():
    torch.manual_seed(0)
    model = RaveModel(get_config("tiny-pitched")).eval()
    lat, r = model.config.latency, model.config.ratio
    x = (0.2 * np.sin(2 * np.pi * 300 * np.arange(4000) / 48000)).astype(np.float32)
    n = -(-(len(x) + lat) // r) * r
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(0)
        raw = model.reconstruct(torch.from_numpy(np.pad(x, (0, n - len(x))))[None, None])[0, 0].numpy()
    y = reconstruct_aligned(model, x)
    assert len(y) == len(x)
    np.testing.assert_array_equal(y, raw[lat:lat + len(x)])
    np.testing.assert_array_equal(reconstruct_aligned(model, x), y)
