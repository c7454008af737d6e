"""ONNX export of one streaming timbre-transfer step of the RAVE model, state as explicit
inputs and outputs.

Inputs:  audio [B, 1, n] (n = block, a multiple of the ratio R, fixed at export),
         noise [B, M, n/M] (only with the noise branch; white, in [-1, 1): band k of band
         frame j is value j*M + k of the caller's noise stream, see
         rt_synth/kinds/rave/model/streaming.py band_noise),
         then the state tensors ``enc_<i>_in`` and ``dec_<i>_in`` (order in streaming.py).
Outputs: audio [B, 1, n] then ``enc_<i>_out``, ``dec_<i>_out`` in the same order.
With n a multiple of R every state keeps its shape; zeros = the state after reset.

Pitch source (config.pitch_source): the step tracks the block itself (torch_yin.py, the
causal YIN of rt_synth/dsp/yin.py on the raw input, one frame per latent frame) and drives the
excitation, so the inputs gain, between the encoder's and the decoder's states,
``yin_0_in`` (history [B, W + tau_max], float64, sanitised samples) and ``yin_1_in`` (the
held f0 [B], float64; 0 = none yet), and the decoder's states end with the excitation's
PQMF analysis state and its previous f0, previous periodicity and phase ([B] float64).
Outputs in the same order. The noise stays an input (the caller's counter, as above).

Harmonic head: its states follow the pitch source's (streaming.py: the head's conv, the
harmonic audio's PQMF analysis, the previous amplitudes [B, H] float64, and with
config.harmonic_noise the previous noise gains [B, M] float32). A head that reads the loudness
gets it from the same tracker step (the window energy of each frame: no extra state); a head
with noise plays it on the ``noise`` input (present then even without the decoder's noise
branch).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rt_synth.kinds.rave.model.streaming import RaveStreaming


class RaveOnnxStep(nn.Module):
    def __init__(self, streaming: RaveStreaming, n_enc: int, n_yin: int = 0):
        super().__init__()
        self.s = streaming
        self.n_enc = n_enc
        self.n_yin = n_yin

    def forward(self, audio, noise, *states):
        enc = list(states[: self.n_enc])
        yin = list(states[self.n_enc:self.n_enc + self.n_yin])
        dec = list(states[self.n_enc + self.n_yin:])
        f0 = per = loud = None
        if self.n_yin and self.s.with_loudness:
            f0, per, loud, history, held = self.s.track_aligned_features(audio, yin[0], yin[1])
            yin = [history, held]
        elif self.n_yin:
            f0, per, history, held = self.s.track_aligned(audio, yin[0], yin[1])
            yin = [history, held]
        u, enc = self.s.encode_step(audio, enc)
        y, dec = self.s.decode_step(u, noise, dec, f0, per, loud)
        return (y, *enc, *yin, *dec)


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
    # the tracker's history and held f0 (its position state is 0: blocks are R-aligned)
    yin = streaming.initial_tracker_state(batch)[:2] if c.pitch_source else []
    step = RaveOnnxStep(streaming, len(enc), len(yin)).eval()
    audio = torch.zeros(batch, 1, block)
    noise = torch.zeros(batch, c.n_bands, block // c.n_bands)
    names = [f"enc_{i}" for i in range(len(enc))] + [f"yin_{i}" for i in range(len(yin))] + \
        [f"dec_{i}" for i in range(len(dec))]
    names_in = ["audio", "noise"] + [n + "_in" for n in names]
    names_out = ["audio_out"] + [n + "_out" for n in names]
    path.parent.mkdir(parents=True, exist_ok=True)
    if streaming.tracker is not None:
        streaming.tracker.export_friendly = True  # same numbers, ops onnxruntime runs fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(step, (audio, noise, *enc, *yin, *dec), str(path),
                          input_names=names_in, output_names=names_out, opset_version=17,
                          dynamo=False)
    return path


class OnnxRaveStream:
    """Runs the exported step block after block in onnxruntime (single thread)."""

    def __init__(self, path: str | Path, threads: int = 1):
        import numpy as np

        from rt_synth.export.onnx_runtime import cpu_session

        self.session, shapes = cpu_session(path, threads)
        self.block = shapes["audio"][2]
        self.has_noise = "noise" in shapes  # absent when the model has no noise branch
        self.state_names = [i.name for i in self.session.get_inputs() if i.name.endswith("_in")]
        types = {i.name: i.type for i in self.session.get_inputs()}  # the pitch states: double
        self.state = {n: np.zeros(shapes[n], dtype=np.float64 if types[n] == "tensor(double)"
                                  else np.float32) for n in self.state_names}

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
