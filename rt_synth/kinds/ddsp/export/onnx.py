"""ONNX export of one streaming step with the state as explicit inputs and outputs.

Inputs: f0 [B, F] (Hz), loudness [B, F] (dB), noise [B, F*hop] (white, in [-1, 1): the
caller chooses the generator), then the state (see rt_synth/kinds/ddsp/model/streaming.py).
Outputs: audio [B, F*hop] then the new state, in the same order. F (frames per step) is
fixed at export time (a GRU's time axis is fixed by the exporter); run step after step,
feeding each step's state outputs back as the next step's inputs.
"""
from __future__ import annotations

from pathlib import Path

import torch

from rt_synth.kinds.ddsp.model.streaming import DDSPStreamingStep

STATE_NAMES = ["gru", "amps", "prev_f0", "started", "phase", "tail"]
INPUT_NAMES = ["f0", "loudness", "noise"] + [f"{n}_in" for n in STATE_NAMES]
OUTPUT_NAMES = ["audio"] + [f"{n}_out" for n in STATE_NAMES]


def export_onnx(model, path: str | Path, frames_per_step: int = 1, batch: int = 1) -> Path:
    import warnings

    path = Path(path)
    c = model.config
    step = DDSPStreamingStep(model.decoder, c.sample_rate, c.hop, c.n_harmonics,
                             c.n_noise_bands).eval()
    f0 = torch.full((batch, frames_per_step), 220.0)
    ld = torch.full((batch, frames_per_step), -30.0)
    noise = torch.zeros(batch, frames_per_step * c.hop)
    args = (f0, ld, noise, *step.initial_state(batch))
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(step, args, str(path), input_names=INPUT_NAMES,
                          output_names=OUTPUT_NAMES, opset_version=17, dynamo=False)
    return path


class OnnxDDSPStream:
    """Runs the exported ONNX step block after block in onnxruntime (single thread)."""

    def __init__(self, path: str | Path, threads: int = 1):
        import numpy as np

        from rt_synth.export.onnx_runtime import cpu_session

        self.session, shapes = cpu_session(path, threads)
        self.batch, self.frames = shapes["f0"]
        self.hop = shapes["noise"][1] // self.frames
        self.state = {}
        for i in self.session.get_inputs():
            if i.name.endswith("_in"):
                dtype = np.float64 if "double" in i.type else np.float32
                self.state[i.name] = np.zeros(i.shape, dtype=dtype)

    def reset(self) -> None:
        for v in self.state.values():
            v[...] = 0

    def step(self, f0, loudness, noise):
        feeds = {"f0": f0, "loudness": loudness, "noise": noise, **self.state}
        out = self.session.run(None, feeds)
        for name, value in zip(STATE_NAMES, out[1:]):
            self.state[f"{name}_in"] = value
        return out[0]
