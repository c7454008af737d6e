"""A host's blocks served from a model that computes whole frames, as nn~ does around a
TorchScript module: shared by every kind's runtime comparison."""
from __future__ import annotations

import numpy as np


class FrameFifo:
    """Serves host blocks from a frame-based model: calls `frame_fn(i)` → hop samples."""

    def __init__(self, frame_fn, hop: int):
        self.frame_fn, self.hop = frame_fn, hop
        self.buf = np.zeros(0, np.float32)
        self.frame = 0
        self.pos = 0  # samples consumed

    def process(self, n: int) -> np.ndarray:
        while len(self.buf) < n:
            self.buf = np.concatenate([self.buf, self.frame_fn(self.frame)])
            self.frame += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out
