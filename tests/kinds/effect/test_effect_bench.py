"""`rt-synth bench` of an effect model (rt_synth/kinds/effect/bench.py): correctness of the
comparison, not wall-clock figures: every runtime is measured and plays the same output."""
import json
import math

import pytest
import torch

from rt_synth.kinds import get_kind
from rt_synth.kinds.effect.model.config import CONFIGS
from rt_synth.kinds.effect.model.model import EffectModel

RUNTIMES = ("core", "torchscript", "onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = {}
    for name in ("lstm-tiny", "wavenet-tiny", "wavenet-knobs-tiny"):
        torch.manual_seed(0)
        m = EffectModel(CONFIGS[name]).eval()
        for p in m.parameters():
            p.data.normal_(0, 0.3)
        base = tmp_path_factory.mktemp(name) / name
        out[name] = get_kind("effect").export(m.payload(), str(base),
                                              ["native", "torchscript", "onnx"])
    return out


@pytest.mark.parametrize("name", ["lstm-tiny", "wavenet-tiny", "wavenet-knobs-tiny"])  # knobs at defaults
@pytest.mark.parametrize("block", [64, 100])  # 100: the 64-sample ONNX block through a FIFO
def test_bench_measures_three_runtimes_that_agree(exported, name, block):
    w = exported[name]
    r = get_kind("effect").compare_runtimes(w["native"], block, 0.2, w["torchscript"], w["onnx"])
    assert (r["kind"], r["block"], r["sample_rate"], r["latency_samples"]) == ("effect", block, 48000, 0)
    assert r["onnx_block"] == 64
    for k in RUNTIMES:
        s = r[k]
        assert s["blocks"] == int(0.2 * 48000 / block)
        for stat in ("p50_us", "p99_us", "p999_us", "rtf"):
            assert math.isfinite(s[stat]) and s[stat] > 0, (k, stat)
        assert s["p50_us"] <= s["p99_us"] <= s["p999_us"] <= s["max_us"]
    for other in ("torchscript", "onnxruntime"):
        for stat in ("p999", "p50", "rtf"):
            assert r[f"core_speedup_{stat}_vs_{other}"] > 0
        assert r["max_abs_diff_vs_core"][other] <= 1e-4, other
    assert r["output_rms"] > 1e-4  # the outputs that agree are not silence
    json.dumps(r)


def test_bench_cli_prints_the_table(exported, capsys):
    from rt_synth.cli.main import main

    assert main(["bench", str(exported["lstm-tiny"]["native"]), "--block", "64",
                 "--seconds", "0.1"]) == 0
    text = capsys.readouterr().out
    for k in RUNTIMES:
        assert f"\n{k} " in text
    assert "core_speedup_p999_vs_onnxruntime" in text
