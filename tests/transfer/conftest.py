"""Shared fixtures of the timbre-transfer tests: random-weight DDSP models written with
rt_synth.kinds.ddsp.export.native.write_ddsp (feature_delay 512, as the trainer writes)."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core"))

SR, HOP, FEATURE_DELAY = 48000, 192, 512


@pytest.fixture(scope="session")
def small_model(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from ddsp_core_helpers import make_model
    from rt_synth.kinds.ddsp.export.native import write_ddsp

    d = tmp_path_factory.mktemp("transfer_models")
    model, _ = make_model(d, "small", seed=3)
    return str(write_ddsp(model, d / "small_fd", "small", feature_delay=FEATURE_DELAY))


@pytest.fixture(scope="session")
def base_model(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from ddsp_core_helpers import make_model
    from rt_synth.kinds.ddsp.export.native import write_ddsp

    d = tmp_path_factory.mktemp("transfer_models_base")
    model, _ = make_model(d, "base", seed=4)
    return str(write_ddsp(model, d / "base_fd", "base", feature_delay=FEATURE_DELAY))
