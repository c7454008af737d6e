"""kind "rave" through the C ABI (cffi, rt_synth.capi): methods forward / encode / decode with
nn~-like channel counts and ratios, latent parameters by id; the same forward through pybind11
(_core.RaveEngine) and the C ABI gives identical samples (48 and 44.1 kHz, MIDI CCs and
parameters included); encode/decode equal _core.RaveModel's; zero allocations through the ABI
(tests/csrc/test_capi_rt.cpp run with a rave model as well)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CAPIError, CModel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
FORWARD, ENCODE, DECODE = 3, 4, 5


@pytest.fixture(scope="module")
def rave_model(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from rave_core_helpers import make_model

    _, path = make_model(tmp_path_factory.mktemp("rave_capi"), "tiny", name="tiny")
    return Path(path)


def _signal(seconds=1.0):
    from rave_core_helpers import signal
    return signal(seconds)


def test_metadata_methods_params(rave_model):
    c = CModel(rave_model, FORWARD)
    m = _core.RaveModel(str(rave_model))
    D, R = m.latent_size, m.ratio
    assert (c.kind, c.name, c.sample_rate, c.hop, c.method) == ("rave", m.name, m.sample_rate, R, FORWARD)
    meths = {x["name"]: x for x in c.methods()}
    assert list(meths) == ["forward", "encode", "decode"]
    f, e, d = meths["forward"], meths["encode"], meths["decode"]
    assert (f["in_channels"], f["in_ratio"], f["out_channels"], f["out_ratio"], f["takes_midi"]) == (1, 1, 1, 1, True)
    assert (e["in_channels"], e["in_ratio"], e["out_channels"], e["out_ratio"]) == (1, 1, D, R)
    assert (d["in_channels"], d["in_ratio"], d["out_channels"], d["out_ratio"]) == (D, R, 1, 1)
    assert f["latency"] == m.latency
    assert c.metadata()["rt_synth.kind"] == "rave"
    p = c.params()
    rng = m.metadata["latent_offset_range"]
    assert p["latent_offset_0"][0] == 1000 and p["latent_scale_1"][0] == 2001 and p["latent_scale_global"][0] == 3000
    assert p["latent_offset_2"][2] == pytest.approx(rng * m.latent_std[2]) and len(p) == 2 * D + 2
    assert p["output_ceiling_db"] == (4000, -24.0, 12.0, 0.0)  # the safety stage (docs/safety.md)
    c.set_param("latent_offset_0", 1e6)  # clamped to the range
    assert c.get_param("latent_offset_0") == pytest.approx(rng * m.latent_std[0])
    assert CModel(rave_model, "transfer").method == FORWARD  # audio → audio alias


def test_wrong_methods_refused(rave_model, tiny_model):
    with pytest.raises(CAPIError, match="rave"):
        CModel(rave_model, "synth")
    with pytest.raises(CAPIError, match="methods of 'rave'"):
        CModel(tiny_model, FORWARD)
    enc = CModel(rave_model, ENCODE)
    with pytest.raises(CAPIError, match="model's rate"):
        enc.prepare(44100, 512)


@pytest.mark.parametrize("rate,block", [(48000, 256), (48000, 37), (44100, 441)])
def test_forward_identical_to_pybind11(rave_model, rate, block):
    x = _signal(1.0)
    c = CModel(rave_model, FORWARD)
    c.prepare(rate, block)
    p = _core.RaveEngine(str(rave_model))
    p.prepare(rate, block)
    assert c.latency == p.latency and c.latency_seconds == pytest.approx(p.latency_seconds)
    c.set_param("latent_scale_1", 1.5)
    p.set_latent_scale(1, 1.5)
    c.set_param("latent_offset_2", -0.4)
    p.set_latent_offset(2, -0.4)
    events = {10: bytes([0xB0, 16, 120]), 40: bytes([0xB0, 1, 90, 0xE0, 0, 90]), 80: bytes([0xB0, 121, 0]),
              90: bytes([0xB0, 17, 3])}
    yc, yp = [], []
    for k, i in enumerate(range(0, len(x), block)):
        if k in events:
            assert c.send_midi(events[k]) == 0
            p.push_midi(events[k])
        yc.append(c.process(inputs=[x[i:i + block]])[0])
        yp.append(p.process(x[i:i + block]))
    yc, yp = np.concatenate(yc), np.concatenate(yp)
    np.testing.assert_array_equal(yc, yp)
    assert np.abs(yc).max() > 1e-2
    assert p.stats()["cc_applied"] == 4 and p.latent_offset(1) == pytest.approx(p.effective_offset(1))
    # and the CCs did something: a run without them differs
    q = _core.RaveEngine(str(rave_model))
    q.prepare(rate, block)
    q.set_latent_scale(1, 1.5)
    q.set_latent_offset(2, -0.4)
    yq = np.concatenate([q.process(x[i:i + block]) for i in range(0, len(x), block)])
    assert np.abs(yq - yp).max() > 1e-3


def _codec(model, method, inputs, n, block):
    c = CModel(model, method)
    c.prepare(48000, block)
    ffi, lib = c._ffi, c._lib
    out_ch = 1 if method == DECODE else len(inputs) and _core.RaveModel(str(model)).latent_size
    R = c.hop
    outs = []
    for s in range(0, n, block):
        k = min(block, n - s)
        if method == ENCODE:
            ins = [np.ascontiguousarray(inputs[0][s:s + k])]
            o = np.zeros((out_ch, k // R), np.float32)
        else:
            ins = [np.ascontiguousarray(u[s // R:(s + k) // R]) for u in inputs]
            o = np.zeros((1, k), np.float32)
        ip = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(a)) for a in ins])
        op = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(o[i])) for i in range(o.shape[0])])
        assert lib.rt_synth_process(c._h, ip, op, k) == 0
        outs.append(o)
    return np.concatenate(outs, axis=1)


def test_encode_decode_identical_to_pybind11(rave_model):
    m = _core.RaveModel(str(rave_model))
    R = m.ratio
    x = _signal(0.5)
    n = len(x) // R * R
    x = x[:n]
    m.prepare(48000, 4096)
    u_ref = m.encode(x)
    u = _codec(rave_model, ENCODE, [x], n, 8 * R)
    np.testing.assert_array_equal(u, u_ref)
    m.reset()
    # decode through the C ABI ends in the safety stage (docs/safety.md); RaveModel has none.
    y_ref = _core.transfer.OutputLimiter(48000).process(m.decode(u_ref))
    y = _codec(rave_model, DECODE, list(u), n, 5 * R)[0]
    np.testing.assert_array_equal(y, y_ref)
    m.reset()
    y_fwd = _core.transfer.OutputLimiter(48000).process(m.forward(x))
    np.testing.assert_allclose(y, y_fwd, atol=1e-6)  # forward = decode(encode) at rest


def test_capi_rt_with_rave_allocates_nothing(tiny_model, rave_model):
    if not shutil.which("cmake"):
        pytest.skip("cmake not installed")
    b = ROOT / "build" / "ctest"
    r = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(b), "-DRT_SYNTH_BUILD_TESTS=ON",
                        "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(b), "-j", "2", "--target", "test_capi_rt"], capture_output=True,
                       text=True, timeout=900, env={**os.environ})
    assert r.returncode == 0, (r.stdout + r.stderr)[-20000:]
    r = subprocess.run([str(b / "tests" / "csrc" / "test_capi_rt"), str(tiny_model), str(rave_model)],
                       capture_output=True, text=True, timeout=300)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all checks passed" in r.stdout
    assert r.stdout.count(", 0 allocations") == 8  # 5 ddsp + rave forward 48/44.1 kHz + encode/decode
