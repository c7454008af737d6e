"""The streaming step (used by the TorchScript and ONNX exports) equals the offline model."""
import numpy as np
import pytest
import torch

from rt_synth.dsp.prng import counter_noise
from rt_synth.kinds.ddsp.model.config import CONFIGS
from rt_synth.kinds.ddsp.model.model import DDSPModel
from rt_synth.kinds.ddsp.model.streaming import DDSPStreamingStep, noise_filter_matrix


def _model(seed=0):
    torch.manual_seed(seed)
    m = DDSPModel(CONFIGS["tiny"]).double().eval()
    for p in m.parameters():  # larger weights so every path is exercised
        p.data.normal_(0, 0.5)
    return m


def _controls(frames, seed=1):
    rng = np.random.default_rng(seed)
    f0 = 220 * 2 ** (np.cumsum(rng.normal(0, 0.05, frames)) / 12)
    ld = -30 + 10 * np.sin(np.arange(frames) / 7.0)
    return torch.tensor(f0)[None], torch.tensor(ld)[None]


def test_noise_filter_matrix_matches_irfft_roll_window():
    bands = 17
    mags = torch.rand(3, bands, dtype=torch.float64)
    length = 2 * (bands - 1)
    h = torch.fft.irfft(mags, n=length)
    h = torch.roll(h, length // 2, dims=-1)
    t = torch.arange(length, dtype=torch.float64)
    h = h * (0.5 - 0.5 * torch.cos(2 * np.pi * t / (length - 1)))
    assert torch.allclose(mags @ noise_filter_matrix(bands), h, atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_streaming_chunks_equal_offline_model(chunk):
    model = _model()
    c = model.config
    frames = 48
    f0, ld = _controls(frames)
    noise = torch.tensor(counter_noise(frames * c.hop, seed=7), dtype=torch.float64)[None]
    with torch.no_grad():
        ref = model(f0, ld, noise)[0]
        step = DDSPStreamingStep(model.decoder, c.sample_rate, c.hop, c.n_harmonics,
                                 c.n_noise_bands).double()
        state = [s.double() if s.dtype != torch.float64 else s for s in step.initial_state(1)]
        out = []
        for i in range(0, frames, chunk):
            j = min(i + chunk, frames)
            y, *state = step(f0[:, i:j], ld[:, i:j], noise[:, i * c.hop:j * c.hop], *state)
            out.append(y[0])
    out = torch.cat(out)
    assert ref.abs().max() > 1e-3  # not a silent comparison
    assert torch.max(torch.abs(out - ref)) < 1e-9
