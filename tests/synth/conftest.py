import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def synth_model(tmp_path_factory):
    """A random-weight DDSP model file (64 harmonics, 65 noise bands, small network)."""
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from make_test_model import make
    return str(make(tmp_path_factory.mktemp("synth") / "small.rtsynth", "small", seed=0))
