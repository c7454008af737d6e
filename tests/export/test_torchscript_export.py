"""TorchScript export: the nn~ module contract, streaming state inside, parity with PyTorch."""
import numpy as np
import torch

from rt_synth.dsp.prng import counter_noise
from rt_synth.export.torchscript import export_torchscript


def test_nn_tilde_contract_and_batches(tiny_model, tmp_path):
    path = export_torchscript(tiny_model, tmp_path / "m.ts")
    ts = torch.jit.load(str(path))
    hop = tiny_model.config.hop
    assert ts.get_methods() == ["forward"]
    assert ts.forward_params.tolist() == [2, hop, 1, 1]
    assert set(ts.get_attributes()) == {"pitch_shift", "loudness_offset"}
    assert ts.set_pitch_shift(3.0) == 0 and ts.get_pitch_shift() == 3.0
    assert ts.set_pitch_shift(float("nan")) == -1 and ts.get_pitch_shift() == 3.0
    for batch in (1, 4):
        y = ts(torch.zeros(batch, 2, 5))
        assert y.shape == (batch, 1, 5 * hop)


def test_torchscript_streaming_matches_pytorch_offline(tiny_model, tmp_path):
    """Block after block, the scripted module equals the offline model fed the same
    counter noise (seed 0) — within 1e-4 against a float64 reference."""
    ts = torch.jit.load(str(export_torchscript(tiny_model, tmp_path / "m.ts")))
    c = tiny_model.config
    frames = 2500  # 10 s at 48 kHz / hop 192
    t = np.arange(frames)
    f0 = 196 * 2 ** ((12 * (t / frames)) / 12) * (1 + 0.01 * np.sin(t / 5))
    ld = -40 + 20 * np.abs(np.sin(t / 60))
    x = torch.tensor(np.stack([f0, ld]), dtype=torch.float32)[None]
    outs, i = [], 0
    rng = np.random.default_rng(0)
    while i < frames:  # uneven blocks, as a host would send
        n = int(rng.integers(1, 40))
        outs.append(ts(x[:, :, i:i + n])[0, 0])
        i += n
    y = torch.cat(outs).double()
    ref_model = tiny_model.double()
    noise = torch.tensor(counter_noise(frames * c.hop, seed=0), dtype=torch.float64)[None]
    with torch.no_grad():
        ref = ref_model(x[:, 0].double(), x[:, 1].double(), noise)[0]
    assert ref.abs().max() > 1e-2
    assert float((y - ref).abs().max().detach()) <= 1e-4
