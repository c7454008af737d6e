"""Every metadata key the core reads is range-checked in its config table (docs/safety.md):
model files with a latency/size key at boundary values (0, -1, 2^31-1, 2^31, 2^63-1, NaN for
floats) are either refused with one plain message naming the key and its allowed/expected
value (no internal code names such as kBadValue), or accepted with the latency reported
identically by the C ABI (method info and rt_synth_latency) and the engines (TimbreTransfer,
RaveEngine, RaveModel). The files are written by the exporters themselves, with one key's
value (and type) replaced. Also: a folder, a FIFO and a device given as a model file fail at
once with a plain message (the loader stats first and never blocks in open on a FIFO)."""
from __future__ import annotations

import math
import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from rt_synth import _core
from rt_synth.capi import CAPIError, CModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

# (GGUF writer method, value): the boundary values, each as the type that can hold it.
BOUNDARIES = [
    ("add_uint32", 0),
    ("add_int32", -1),
    ("add_uint32", 2**31 - 1),
    ("add_uint32", 2**31),
    ("add_uint64", 2**63 - 1),
    ("add_float32", math.nan),
]
CODE_NAME = re.compile(r"\bk[A-Z][a-z]+[A-Z]?\w*")


@contextmanager
def _override(key: str, method: str, value):
    """While active, the exporters write `key` with GGUFWriter.<method>(key, value)."""
    import gguf

    orig = {m: getattr(gguf.GGUFWriter, m) for m in ("add_uint32", "add_uint64", "add_float32")}

    def wrap(name):
        def f(self, k, v, *a, **kw):
            if k == key:
                return getattr(gguf.GGUFWriter, method if method not in orig else "_orig_" + method)(self, k, value)
            return orig[name](self, k, v, *a, **kw)
        return f

    for m, fn in orig.items():
        setattr(gguf.GGUFWriter, "_orig_" + m, fn)
        setattr(gguf.GGUFWriter, m, wrap(m))
    try:
        yield
    finally:
        for m, fn in orig.items():
            setattr(gguf.GGUFWriter, m, fn)
            delattr(gguf.GGUFWriter, "_orig_" + m)


def _refusal(fn) -> str | None:
    try:
        fn()
    except (CAPIError, ValueError, RuntimeError) as e:
        return str(e)
    return None


def _check_refusal(msg: str, key: str):
    assert key in msg, msg
    assert "allowed range" in msg or "expected" in msg, msg
    assert not CODE_NAME.search(msg), f"internal code name in: {msg}"


def _require_training_deps():
    """torch and gguf (the exporters' dependencies): scripts/setup.sh installs them, so a missing
    one is a failure naming the install step, never a skip."""
    try:
        import gguf  # noqa: F401
        import torch
    except ImportError as exc:
        pytest.fail(f"{exc.name} is missing: run scripts/setup.sh (installs torch and rt-synth[train])")
    return torch


@pytest.fixture(scope="module")
def ddsp_torch_model():
    torch = _require_training_deps()
    from rt_synth.kinds.ddsp.model.config import CONFIGS
    from rt_synth.kinds.ddsp.model.model import DDSPModel

    torch.manual_seed(0)
    return DDSPModel(CONFIGS["tiny"])


@pytest.fixture(scope="module")
def rave_torch_model(tmp_path_factory):
    _require_training_deps()
    from rave_core_helpers import make_model

    m, _ = make_model(tmp_path_factory.mktemp("rave_meta"), "tiny", name="tiny")
    return m


DDSP_KEYS = ["rt_synth.feature_delay_samples", "rt_synth.latency_samples", "rt_synth.parameters",
             "rt_synth.sample_rate", "rt_synth.hop"]


@pytest.mark.parametrize("key", DDSP_KEYS)
def test_ddsp_keys_at_boundaries(tmp_path, ddsp_torch_model, key):
    from rt_synth.kinds.ddsp.export.native import write_ddsp

    accepted = 0
    for i, (method, value) in enumerate(BOUNDARIES):
        with _override(key, method, value):
            path = write_ddsp(ddsp_torch_model, tmp_path / f"m{i}", "m", feature_delay=512)
        msg_c = _refusal(lambda: CModel(path, "transfer"))
        msg_e = _refusal(lambda: _core.TimbreTransfer(str(path)))
        assert (msg_c is None) == (msg_e is None), (value, msg_c, msg_e)
        if msg_c is not None:
            _check_refusal(msg_c, key)
            _check_refusal(msg_e, key)
            continue
        accepted += 1
        c = CModel(path, "transfer")
        t = _core.TimbreTransfer(str(path))
        for sr in (48000, 44100):
            c.prepare(sr, 256)
            t.prepare(sr, 256)
            assert c.latency == t.latency and 0 <= c.latency < 2**20, (key, value, sr, c.latency, t.latency)
        t.prepare(48000, 256)
        assert c.methods()[1]["latency"] == t.latency
        s = CModel(path, "synth")  # the synth reads the same table
        s.prepare(48000, 256)
        assert s.latency == 0
    # 0 is in range for every key here except the rate and hop (refused: they must be > 0).
    assert accepted >= (0 if key in ("rt_synth.sample_rate", "rt_synth.hop") else 1)


RAVE_KEYS = ["rt_synth.latency_samples", "rt_synth.hop", "rt_synth.parameters",
             "rt_synth.rave.measured_latency_samples", "rt_synth.rave.noise_seed"]


@pytest.mark.parametrize("key", RAVE_KEYS)
def test_rave_keys_at_boundaries(tmp_path, rave_torch_model, key):
    from rt_synth.kinds.rave.export.native import write_rave

    for i, (method, value) in enumerate(BOUNDARIES):
        with _override(key, method, value):
            path = write_rave(rave_torch_model, tmp_path / f"r{i}", "r",
                              measurements={"latency_samples": 464.0})
        msg_c = _refusal(lambda: CModel(path, 3))
        msg_e = _refusal(lambda: _core.RaveEngine(str(path)))
        assert (msg_c is None) == (msg_e is None), (value, msg_c, msg_e)
        if msg_c is not None:
            _check_refusal(msg_c, key)
            _check_refusal(msg_e, key)
            continue
        c = CModel(path, 3)
        e = _core.RaveEngine(str(path))
        m = _core.RaveModel(str(path))
        assert c.methods()[0]["latency"] == m.latency
        for sr in (48000, 44100):
            c.prepare(sr, 256)
            e.prepare(sr, 256)
            assert c.latency == e.latency and 0 <= c.latency < 2**20, (key, value, sr)


def test_not_regular_files_fail_at_once(tmp_path):
    fifo = tmp_path / "pipe.rtsynth"
    os.mkfifo(fifo)
    cases = {tmp_path: "a folder", fifo: "a FIFO", Path("/dev/null"): "a device"}
    for path, what in cases.items():
        t0 = time.monotonic()
        for opener in (lambda: CModel(path), lambda: _core.ModelFile(str(path)), lambda: _core.RaveEngine(str(path))):
            msg = _refusal(opener)
            assert msg is not None and f"is {what}" in msg and str(path) in msg, msg
            assert not CODE_NAME.search(msg), msg
        assert time.monotonic() - t0 < 1.0
    empty = tmp_path / "empty.rtsynth"
    empty.write_bytes(b"")
    msg = _refusal(lambda: CModel(empty))
    assert msg is not None and "empty.rtsynth" in msg and not CODE_NAME.search(msg), msg
    bad = tmp_path / "bad.rtsynth"
    bad.write_bytes(b"PK\x03\x04" + bytes(60))
    msg = _refusal(lambda: CModel(bad))
    assert "not an rt-synth model file (bad magic)" in msg and not CODE_NAME.search(msg), msg
