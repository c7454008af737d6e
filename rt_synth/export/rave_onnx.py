"""ONNX export of one streaming timbre-transfer step of the RAVE model, state as explicit
inputs and outputs.

Inputs:  audio [B, 1, n] (n = block, a multiple of the ratio R, fixed at export),
         noise [B, M, n/M] (only with the noise branch; white, in [-1, 1): band k of band
         frame j is value j*M + k of the caller's noise stream, see
         rt_synth/models/rave/streaming.py band_noise),
         then the state tensors ``enc_<i>_in`` and ``dec_<i>_in`` (order in streaming.py).
Outputs: audio [B, 1, n] then ``enc_<i>_out``, ``dec_<i>_out`` in the same order.
With n a multiple of R every state keeps its shape; zeros = the state after reset.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rt_synth.models.rave.streaming import RaveStreaming


class RaveOnnxStep(nn.Module):
    def __init__(self, streaming: RaveStreaming, n_enc: int):
        super().__init__()
        self.s = streaming
        self.n_enc = n_enc

    def forward(self, audio, noise, *states):
        enc, dec = list(states[: self.n_enc]), list(states[self.n_enc:])
        u, enc = self.s.encode_step(audio, enc)
        y, dec = self.s.decode_step(u, noise, dec)
        return (y, *enc, *dec)


def export_onnx(model, path: str | Path, block: int | None = None, batch: int = 1) -> Path:
    import warnings

    path = Path(path)
    c = model.config
    block = block or c.ratio
    if block % c.ratio:
        raise ValueError(f"ONNX block {block} must be a multiple of the ratio {c.ratio}")
    streaming = RaveStreaming(model.float().eval()).eval()
    enc = streaming.initial_encoder_state(batch)
    dec = streaming.initial_decoder_state(batch)
    step = RaveOnnxStep(streaming, len(enc)).eval()
    audio = torch.zeros(batch, 1, block)
    noise = torch.zeros(batch, c.n_bands, block // c.n_bands)
    names_in = ["audio", "noise"] + [f"enc_{i}_in" for i in range(len(enc))] + \
        [f"dec_{i}_in" for i in range(len(dec))]
    names_out = ["audio_out"] + [f"enc_{i}_out" for i in range(len(enc))] + \
        [f"dec_{i}_out" for i in range(len(dec))]
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(step, (audio, noise, *enc, *dec), str(path), input_names=names_in,
                          output_names=names_out, opset_version=17, dynamo=False)
    return path


class OnnxRaveStream:
    """Runs the exported step block after block in onnxruntime (single thread)."""

    def __init__(self, path: str | Path, threads: int = 1):
        import numpy as np
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        shapes = {i.name: i.shape for i in self.session.get_inputs()}
        self.block = shapes["audio"][2]
        self.has_noise = "noise" in shapes  # absent when the model has no noise branch
        self.state_names = [i.name for i in self.session.get_inputs() if i.name.endswith("_in")]
        self.state = {n: np.zeros(shapes[n], dtype=np.float32) for n in self.state_names}

    def reset(self) -> None:
        for v in self.state.values():
            v[...] = 0

    def step(self, audio, noise=None):
        feeds = {"audio": audio, **self.state}
        if self.has_noise:
            feeds["noise"] = noise
        out = self.session.run(None, feeds)
        for name, value in zip(self.state_names, out[1:]):
            self.state[name] = value
        return out[0]
