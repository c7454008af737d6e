"""`rt-synth info` and `rt-synth bench` on a small exported model, and their failure modes."""
import json
import subprocess
import sys

import pytest
import torch

from rt_synth.cli.export_cmd import export_model
from rt_synth.cli.main import main
from rt_synth.kinds.ddsp.model.config import CONFIGS
from rt_synth.kinds.ddsp.model.model import DDSPModel
from rt_synth.train.checkpoint import atomic_save


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("exp")
    torch.manual_seed(0)
    m = DDSPModel(CONFIGS["tiny"])
    atomic_save(m.payload(), d / "src.pt")
    export_model(str(d / "src.pt"), str(d / "tiny"))
    return d / "tiny.rtsynth"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "rt_synth.cli.main", *args],
                          capture_output=True, text=True, timeout=300)


def test_help_lists_the_pipeline_commands():
    out = _cli("--help").stdout
    for cmd in ("data", "train", "export", "info", "bench"):
        assert cmd in out


def test_info_json_has_the_contract_keys(exported):
    p = _cli("info", str(exported), "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["kind"] == "ddsp" and d["format_version"] == 1
    assert d["sample_rate"] == 48000 and d["hop"] == 192 and d["latency_samples"] == 0
    assert d["parameters"] == DDSPModel(CONFIGS["tiny"]).n_parameters


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing"])
def test_info_names_the_problem_of_a_bad_file(exported, tmp_path, damage):
    bad = tmp_path / "bad.rtsynth"
    data = exported.read_bytes()
    if damage == "truncate":
        bad.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        bad.write_bytes(b"not a model at all" * 10)
    p = _cli("info", str(bad))
    assert p.returncode == 2
    assert str(bad) in p.stderr and "Traceback" not in p.stderr


def test_bench_reports_all_three_runtimes(exported, capsys):
    assert main(["bench", str(exported), "--block", "64", "--seconds", "0.5", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["block"] == 64 and r["sample_rate"] == 48000
    for k in ("core", "torchscript", "onnxruntime"):
        s = r[k]
        assert s["blocks"] == int(0.5 * 48000 / 64)
        assert 0 < s["p50_us"] <= s["p99_us"] <= s["p999_us"] <= s["max_us"]
        assert s["rtf"] > 0 and s["first10_us"] > 0
