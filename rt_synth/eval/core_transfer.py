"""A native model's streaming timbre transfer in the C++ core, as `rt-synth transfer` runs it,
with its latency removed.

The model file's kind decides the path, exactly as in rt_synth/cli/transfer_cmd.py:

    ddsp    _core.TimbreTransfer (the core's streaming YIN + A-weighted loudness -> the model)
    rave    _core.RaveEngine through rt_synth.synth.rave.load_rave_engine (encode -> latent ->
            decode; a pitched model's tracker and pitch source run inside the core)

Both are prepared at the audio's own rate and fed block by block (default block 512, the
CLI's). The reported latency L is removed as `--compensate-latency` does: L zeros are appended
to the input and the first L output samples dropped, so output[n] lines up with input[n].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

TRANSFER_BLOCK = 512      # rt-synth transfer's default --block
DDSP_F0_MIN = 80.0        # rt-synth transfer's default --f0-min


@dataclass
class StreamingTransfer:
    """One prepared streaming path: process(x_block, out_block) writes len(x_block) samples."""

    kind: str
    latency: int
    sample_rate: int
    process: Callable[[np.ndarray, np.ndarray], None]
    reset: Callable[[], None]


def open_transfer(model_path, sample_rate: int, block: int = TRANSFER_BLOCK) -> StreamingTransfer:
    """The core's transfer path for the model file, prepared at `sample_rate`, `block`."""
    from rt_synth.core import load_core
    from rt_synth.synth.rave import load_rave_engine, model_kind

    kind = model_kind(model_path) or "ddsp"
    if kind == "rave":
        eng = load_rave_engine(model_path, sample_rate=int(sample_rate), max_block=int(block))
        return StreamingTransfer("rave", int(eng.latency), int(sample_rate),
                                 lambda x, out: eng.process_into(out, x), eng.reset)
    t = load_core().TimbreTransfer(str(model_path), f0_min=DDSP_F0_MIN)
    t.prepare(int(sample_rate), int(block))
    t.reset()
    return StreamingTransfer(kind, int(t.latency), int(sample_rate),
                             lambda x, out: t.process(x, out=out), t.reset)


def run_aligned(transfer: StreamingTransfer, audio: np.ndarray, block: int = TRANSFER_BLOCK) -> np.ndarray:
    """Stream `audio` through a freshly reset path; the output with the latency removed
    (same length as audio, float32)."""
    transfer.reset()
    lat = int(transfer.latency)
    x = np.concatenate([np.asarray(audio, np.float32), np.zeros(lat, np.float32)])
    y = np.zeros_like(x)
    for i in range(0, len(x), block):
        transfer.process(x[i:i + block], y[i:i + block])
    return y[lat:lat + len(audio)]


def transfer_audio(model_path, audio: np.ndarray, sample_rate: int, block: int = TRANSFER_BLOCK) -> np.ndarray:
    """open_transfer + run_aligned: the model's transfer of `audio`, aligned with it."""
    return run_aligned(open_transfer(model_path, sample_rate, block), audio, block)
