"""`rt-synth info` builds a rave model (so a broken one is refused with a clear message) and
`rt-synth bench` on a rave file compares the core with TorchScript and ONNX Runtime."""
import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth.cli.main import main  # noqa: E402

from rave_core_helpers import make_model  # noqa: E402


def test_info_builds_rave_model(tmp_path, capsys, monkeypatch):
    _, path = make_model(tmp_path)
    assert main(["info", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kind"] == "rave" and d["latency_samples"] == 127 and d["hop"] == 32
    import rt_synth.kinds.rave.export.native as rn

    orig = rn.rave_tensors
    monkeypatch.setattr(rn, "rave_tensors",
                        lambda m: {k: v for k, v in orig(m).items() if k != "decoder.conv_out.conv.bias"})
    model, _ = make_model(tmp_path, name="ok")
    bad = rn.write_rave(model, tmp_path / "bad", "bad")
    monkeypatch.undo()
    rc = main(["info", str(bad)])
    assert rc != 0
    assert "decoder.conv_out.conv.bias" in capsys.readouterr().err


def test_bench_rave_three_runtimes(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    from rt_synth.kinds.rave.export.onnx import export_onnx
    from rt_synth.kinds.rave.export.torchscript import export_torchscript

    model, path = make_model(tmp_path, name="m")
    export_torchscript(model, tmp_path / "m.ts")
    export_onnx(model, tmp_path / "m.onnx", 2 * model.config.ratio)
    assert main(["bench", str(path), "--block", "100", "--seconds", "0.3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["kind"] == "rave" and r["block"] == 100
    for k in ("core", "torchscript", "onnxruntime"):
        assert r[k]["blocks"] == int(0.3 * 48000 / 100) and r[k]["p999_us"] > 0
