"""Every shipped TorchScript file, run the way nn~ runs it (rt_synth.export.nn_tilde_host:
power-of-two buffers, decimation by the last sample of each group, outputs held out_ratio
samples, attributes set through their type codes), at nn~'s usual buffers and batch 1 and 4."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import torch  # noqa: E402  ([train], installed by scripts/setup.sh)

from rt_synth.export.nn_tilde_host import NNTildeHost  # noqa: E402

EXPORTS = Path(__file__).resolve().parents[2] / "exports"
SHIPPED_TS = sorted(EXPORTS.glob("*.ts"))


def _kind(ts_path: Path) -> str:
    from rt_synth.core import load_core

    return load_core().ModelFile(str(ts_path.with_suffix(".rtsynth"))).get("rt_synth.kind")


DDSP_TS = [p.name for p in SHIPPED_TS if _kind(p) == "ddsp"]
# A valid value other than the default for each attribute the shipped models declare.
ATTRIBUTE_VALUES = {"pitch_shift": (12,), "loudness_offset": (-6,), "latent_size": (2,)}


def test_every_shipped_model_has_a_torchscript_file():
    names = {p.stem for p in SHIPPED_TS}
    assert {p.stem for p in EXPORTS.glob("*.rtsynth")} <= names


@pytest.fixture(scope="module", params=[p.name for p in SHIPPED_TS])
def module(request):
    m = torch.jit.load(str(EXPORTS / request.param))
    m.eval()
    return m


def _input(host, batch, buffers):
    n = host.buffer_size * buffers
    t = np.arange(n) / 48000
    if host.in_channels == 2:  # DDSP controls: f0 (Hz) and loudness (dB) at audio rate
        f0 = 294 * 2 ** (np.floor(t * 3) % 5 / 12)
        ld = -28 + 8 * np.sin(2 * np.pi * 0.7 * t)
        x = np.stack([f0, ld])
    else:  # audio (or latents, for decode): a tone with an envelope
        x = np.tile(0.3 * np.sin(2 * np.pi * 330 * t) * np.sin(np.pi * t / t[-1]), (host.in_channels, 1))
    return torch.tensor(np.broadcast_to(x, (batch,) + x.shape).copy(), dtype=torch.float32)


@pytest.mark.parametrize("buffer", [2048, 4096, 8192])
@pytest.mark.parametrize("batch", [1, 4])
def test_every_method_at_nn_tilde_buffers(module, buffer, batch):
    for method in module.get_methods():
        module.reset()
        host = NNTildeHost(module, method, buffer, batch)
        x = _input(host, batch, 2)
        y = torch.cat([host.process(x[..., i:i + buffer]) for i in range(0, x.shape[2], buffer)], 2)
        assert y.shape == (batch, host.out_channels, 2 * buffer)
        assert torch.isfinite(y).all()
        if method == "forward":
            assert float(y.abs().max()) > 1e-3, f"{method} is silent at buffer {buffer}"


@pytest.mark.parametrize("name", DDSP_TS)
def test_ddsp_forward_equals_frame_forward_after_its_delay(name):
    module = torch.jit.load(str(EXPORTS / name))
    hop = int(module.forward_frames_params[1])
    host = NNTildeHost(module, "forward", 4096)
    x = _input(host, 1, 3)
    module.reset()
    with torch.inference_mode():
        y = torch.cat([host.process(x[..., i:i + 4096]) for i in range(0, x.shape[2], 4096)], 2)[0, 0]
        module.reset()
        frames = x[..., hop - 1::hop]  # what nn~'s decimation inside forward picks
        ref = module.forward_frames(frames)[0, 0]
    d = int(module.get_latency_samples())
    assert d == hop - 1
    assert float((y[d:d + len(ref)] - ref[:len(y) - d]).abs().max()) <= 1e-5


def test_every_attribute_settable_through_its_type_codes(module):
    host = NNTildeHost(module, "forward", 2048)
    for attr in module.get_attributes():
        codes = [int(c) for c in getattr(module, f"{attr}_params")]
        assert codes and all(c in (0, 1, 2, 3) for c in codes), f"{attr}_params = {codes}"
        default = host.get_attribute(attr)
        value = ATTRIBUTE_VALUES[attr]
        assert len(value) == len(codes) and value != tuple(default)
        assert host.set_attribute(attr, *value) == 0
        assert host.get_attribute(attr) == list(value)
        assert host.set_attribute(attr, *default) == 0
    module.reset()


def test_attribute_changes_the_sound_as_it_says():
    """pitch_shift 12 set the nn~ way = the same controls an octave up (exact: f0 * 2)."""
    module = torch.jit.load(str(EXPORTS / DDSP_TS[0]))
    host = NNTildeHost(module, "forward", 4096)
    x = _input(host, 1, 1)
    with torch.inference_mode():
        module.reset()
        up = x.clone()
        up[:, 0] *= 2
        ref = host.process(up)
        module.reset()
        assert host.set_attribute("pitch_shift", 12) == 0
        y = host.process(x)
        assert host.set_attribute("pitch_shift", 0) == 0
    assert float(ref.abs().max()) > 1e-3
    assert float((y - ref).abs().max()) <= 1e-6
