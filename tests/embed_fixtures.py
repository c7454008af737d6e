"""Fixtures shared by the C ABI tests (tests/capi) and the plugin tests (tests/plugins), whose
conftest.py files import them: random-weight DDSP model files written by the Python exporter
(rt_synth.kinds.ddsp.export.native.write_ddsp), a truncated one, and the build folder of
scripts/build_plugins.sh."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EMBED_BUILD = ROOT / "build" / "embed"


def write_model(path: Path, config: str = "tiny", seed: int = 0, feature_delay: int = 0) -> Path:
    torch = pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from rt_synth.kinds.ddsp.export.native import write_ddsp
    from rt_synth.kinds.ddsp.model.config import CONFIGS
    from rt_synth.kinds.ddsp.model.model import DDSPModel

    torch.manual_seed(seed)
    model = DDSPModel(CONFIGS[config])
    with torch.no_grad():  # louder harmonics than at init, so the notes are clearly audible
        model.decoder.head.weight.mul_(4.0)
    return write_ddsp(model, path.with_suffix(""), path.stem, feature_delay=feature_delay)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return write_model(tmp_path_factory.mktemp("capi") / "tiny.rtsynth")


@pytest.fixture(scope="session")
def effect_model(tmp_path_factory) -> Path:
    """A random-weight WaveNet effect (kind "effect", wavenet-nano), quiet enough at 0.3 in to stay
    under the safety stage's threshold."""
    import torch

    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import CONFIGS
    from rt_synth.kinds.effect.model.model import EffectModel

    torch.manual_seed(0)
    m = EffectModel(CONFIGS["wavenet-nano"]).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    return write_effect(m, tmp_path_factory.mktemp("fx") / "fx", "fx")


@pytest.fixture(scope="session")
def corrupt_model(tmp_path_factory, tiny_model) -> Path:
    data = bytearray(tiny_model.read_bytes())
    p = tmp_path_factory.mktemp("capi_bad") / "corrupt.rtsynth"
    p.write_bytes(bytes(data[: len(data) // 3]))  # truncated in the middle of the tensors
    return p


@pytest.fixture(scope="session")
def embed_build() -> Path:
    """build/embed with the C ABI library, the Pd external and the LV2 bundles."""
    r = subprocess.run(["bash", str(ROOT / "scripts" / "build_plugins.sh")], capture_output=True, text=True,
                       timeout=900, env={**os.environ})
    assert r.returncode == 0, "scripts/build_plugins.sh failed:\n" + (r.stdout + r.stderr)[-20000:]
    return EMBED_BUILD
