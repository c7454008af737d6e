"""ONNX export: one streaming step with explicit state, run block after block in onnxruntime,
equal to the offline PyTorch model."""
import numpy as np
import torch

from rt_synth.dsp.prng import counter_noise
from rt_synth.kinds.ddsp.export.onnx import OnnxDDSPStream, export_onnx


def test_onnx_steps_match_pytorch_offline(tiny_model, tmp_path):
    c = tiny_model.config
    frames_per_step = 4
    path = export_onnx(tiny_model, tmp_path / "m.onnx", frames_per_step)
    stream = OnnxDDSPStream(path)
    assert (stream.frames, stream.hop) == (frames_per_step, c.hop)
    steps = 625  # 2500 frames = 10 s
    frames = steps * frames_per_step
    t = np.arange(frames)
    f0 = (330 * (1 + 0.02 * np.sin(t / 9))).astype(np.float32)
    ld = (-30 + 15 * np.sin(t / 50)).astype(np.float32)
    noise = counter_noise(frames * c.hop, seed=3)
    out = []
    for s in range(steps):
        a, b = s * frames_per_step, (s + 1) * frames_per_step
        out.append(stream.step(f0[None, a:b], ld[None, a:b], noise[None, a * c.hop:b * c.hop])[0])
    y = np.concatenate(out)
    with torch.no_grad():
        ref = tiny_model.double()(torch.tensor(f0, dtype=torch.float64)[None],
                                  torch.tensor(ld, dtype=torch.float64)[None],
                                  torch.tensor(noise, dtype=torch.float64)[None])[0].numpy()
    assert np.abs(ref).max() > 1e-2
    assert np.abs(y - ref).max() <= 1e-4
    stream.reset()
    again = stream.step(f0[None, :4], ld[None, :4], noise[None, :4 * c.hop])[0]
    assert np.array_equal(again, out[0])  # reset returns to the initial state
