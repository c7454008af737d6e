"""TorchScript export: the nn~ module contract, streaming state inside, parity with PyTorch."""
import numpy as np
import pytest
import torch

from rt_synth.dsp.prng import counter_noise
from rt_synth.export.nn_tilde_host import NNTildeError, NNTildeHost
from rt_synth.kinds.ddsp.export.torchscript import export_torchscript


def test_nn_tilde_contract_and_batches(tiny_model, tmp_path):
    path = export_torchscript(tiny_model, tmp_path / "m.ts")
    ts = torch.jit.load(str(path))
    hop = tiny_model.config.hop
    assert ts.get_methods() == ["forward"]
    assert ts.forward_params.tolist() == [2, 1, 1, 1]  # audio rate: divides any nn~ buffer
    assert ts.forward_frames_params.tolist() == [2, hop, 1, 1]
    assert ts.get_latency_samples() == hop - 1
    assert set(ts.get_attributes()) == {"pitch_shift", "loudness_offset"}
    assert ts.pitch_shift_params.tolist() == [2] and ts.loudness_offset_params.tolist() == [2]
    assert ts.set_pitch_shift(3.0) == 0 and ts.get_pitch_shift() == [3.0]
    assert ts.set_pitch_shift(float("nan")) == -1 and ts.get_pitch_shift() == [3.0]
    for batch in (1, 4):
        assert ts.forward_frames(torch.zeros(batch, 2, 5)).shape == (batch, 1, 5 * hop)
        for n in (1, 64, hop, 1000):
            assert ts(torch.zeros(batch, 2, n)).shape == (batch, 1, n)


@torch.no_grad()
def test_audio_rate_forward_is_the_frame_forward_delayed(tiny_model, tmp_path):
    """forward decimates like nn~ (last sample of each hop) at any call size and returns the
    frame interface's audio hop - 1 samples later (to float rounding: the network runs the
    frames in other groupings)."""
    ts = torch.jit.load(str(export_torchscript(tiny_model, tmp_path / "m.ts")))
    hop = tiny_model.config.hop
    frames = 60
    t = np.arange(frames)
    ctl = torch.tensor(np.stack([220 * (1 + 0.05 * np.sin(t / 4)), -30 + 10 * np.sin(t / 9)]),
                       dtype=torch.float32)[None]
    ts.reset()
    ref = ts.forward_frames(ctl)[0, 0]
    audio_rate = ctl.repeat_interleave(hop, dim=2)
    ts.reset()
    rng = np.random.default_rng(1)
    outs, pos = [], 0
    while pos < audio_rate.shape[2]:
        n = int(rng.choice([1, 7, 64, 191, 192, 500, 2048]))
        outs.append(ts(audio_rate[:, :, pos:pos + n])[0, 0])
        pos += n
    y = torch.cat(outs)
    assert torch.all(y[:hop - 1] == 0)
    assert float(ref.abs().max()) > 1e-3
    assert float((y[hop - 1:] - ref[:len(y) - (hop - 1)]).abs().max()) <= 1e-5


@pytest.mark.parametrize("buffer", [2048, 4096, 8192])
def test_nn_tilde_arithmetic_and_attribute_type_codes(tiny_model, tmp_path, buffer):
    ts = torch.jit.load(str(export_torchscript(tiny_model, tmp_path / "m.ts")))
    for batch in (1, 4):
        ts.reset()
        host = NNTildeHost(ts, "forward", buffer, batch)
        x = torch.stack([torch.full((batch, buffer), 330.0), torch.full((batch, buffer), -25.0)], 1)
        y = torch.cat([host.process(x) for _ in range(3)], dim=2)
        assert y.shape == (batch, 1, 3 * buffer) and torch.isfinite(y).all()
        assert float(y.abs().max()) > 1e-3
    host = NNTildeHost(ts, "forward", buffer)
    assert host.set_attribute("pitch_shift", 12) == 0 and host.get_attribute("pitch_shift") == [12.0]
    assert host.set_attribute("loudness_offset", -6) == 0
    assert host.set_attribute("pitch_shift", 100) == -1  # out of range: refused, not clamped


def test_nn_tilde_host_refuses_what_nn_tilde_refuses(tiny_model, tmp_path):
    """The emulation is not a rubber stamp: a frame-rate method (ratio = hop, not a power of
    two) is what nn~ fails on at every buffer."""
    ts = torch.jit.load(str(export_torchscript(tiny_model, tmp_path / "m.ts")))
    ts_methods = ts.get_methods()
    assert "forward_frames" not in ts_methods  # deliberately not offered to nn~
    with pytest.raises(NNTildeError):
        NNTildeHost(ts, "forward_frames", 4096)


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
        outs.append(ts.forward_frames(x[:, :, i:i + n])[0, 0])
        i += n
    y = torch.cat(outs).double()
    ref_model = tiny_model.double()
    noise = torch.tensor(counter_noise(frames * c.hop, seed=0), dtype=torch.float64)[None]
    with torch.no_grad():
        ref = ref_model(x[:, 0].double(), x[:, 1].double(), noise)[0]
    assert ref.abs().max() > 1e-2
    assert float((y - ref).abs().max().detach()) <= 1e-4
