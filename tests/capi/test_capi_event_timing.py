"""MIDI timing at host rates other than the model's (real-time rule 2, any block size gives the
same output; HostAdapter::engineOffset, docs/synth-engine.md "Event timing at other host
rates"). The shipped violin-live-ddsp synth, through the C ABI (CModel) and the core Engine
(both map host-sample offsets with the same HostAdapter), prepared once for blocks of 8192:

- notes, pitch bends and a CC at fixed host sample times (some right at the host time of a
  frame boundary) rendered in blocks of 1, 7, 64, 333, 512, 4096 and 8192 give the same samples
  bit for bit at 22.05, 44.1, 47.999, 48, 88.2 and 96 kHz (the resamplers' per-sample sums do not
  depend on the partition, so exact equality is expected, not just closeness);
- a note's onset comes latency() host samples after the event plus the frame quantisation
  (0..one hop), as at the model's rate: MIDI goes through the same delay as audio input.

Before the fix the C ABI rounded each offset relative to the block (lround(offset * 48000 /
rate)) and the Engine floored it, so an event near a frame boundary moved by one frame (176
host samples at 44.1 kHz) with the block size."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CModel

MODEL = Path(__file__).resolve().parents[2] / "exports" / "violin-live-ddsp.rtsynth"
MAX_BLOCK = 8192
BLOCKS = (1, 7, 64, 333, 512, 4096, 8192)
RATES = (22050, 44100, 47999, 48000, 88200, 96000)
HOP = 192  # the shipped model's hop at 48 kHz
NOTE = bytes([0x90, 69, 100])


def _events(rate: int) -> list[tuple[int, bytes]]:
    s = rate / 44100
    ev = [(int(4410 * s), NOTE), (int(6000 * s), bytes([0xE0, 0, 80])), (int(7001 * s), bytes([0xB0, 1, 90])),
          (int(9001 * s), bytes([0x90, 76, 90])), (int(12000 * s), bytes([0x80, 69, 0])),
          (int(13333 * s), bytes([0x80, 76, 0]))]
    # Bends at (and one sample after) the host time of frame boundaries: where a rounding of
    # the offset relative to the block moves the event by a whole frame.
    for i, k in enumerate((30, 33, 37, 41)):
        ev.append((HOP * k * rate // 48000 + i % 2, bytes([0xE0, 0, 64 + 8 * i])))
    return sorted(ev, key=lambda e: e[0])


def _render_capi(rate: int, events, n: int, block: int) -> np.ndarray:
    c = CModel(MODEL, "synth")
    c.prepare(rate, MAX_BLOCK)
    return c.render(events, n, block)


def _render_engine(rate: int, events, n: int, block: int) -> np.ndarray:
    e = _core.Engine(str(MODEL))
    e.prepare(rate, MAX_BLOCK)
    out = np.zeros(n, np.float32)
    k = 0
    for start in range(0, n, block):
        m = min(block, n - start)
        while k < len(events) and events[k][0] < start + m:
            assert e.push_midi(events[k][1], events[k][0] - start)
            k += 1
        out[start:start + m] = e.process(m)
    return out


def _onset(y: np.ndarray) -> int:
    assert np.abs(y).max() > 1e-2, "no note came out"
    return int(np.argmax(np.abs(y) > 1e-3))


@pytest.mark.parametrize("api", ["capi", "engine"])
@pytest.mark.parametrize("rate", RATES)
def test_same_samples_for_every_block_size(api, rate):
    render = _render_capi if api == "capi" else _render_engine
    ev = _events(rate)
    n = int(16000 * rate / 44100)
    ref = render(rate, ev, n, BLOCKS[0])
    assert np.isfinite(ref).all() and np.abs(ref).max() > 1e-2
    for block in BLOCKS[1:]:
        y = render(rate, ev, n, block)
        diff = np.flatnonzero(y != ref)
        assert diff.size == 0, (
            f"{api} at {rate} Hz: block {block} differs from block {BLOCKS[0]} from sample {diff[0]} on "
            f"(max {np.abs(y - ref).max():.3g}); onset {_onset(y)} vs {_onset(ref)}")


@pytest.mark.parametrize("rate", (22050, 44100, 47999, 96000))
def test_onset_is_latency_plus_frame_quantisation(rate):
    """Onset - event time - latency - the model's own onset shape (measured at 48 kHz) stays in
    0..hop host samples (2 samples of slack for the threshold on resampled audio), and the event
    times, spread over one hop, reach both ends of that range."""
    c = CModel(MODEL, "synth")
    c.prepare(48000, 512)
    shape = _onset(c.render([(4800, NOTE)], 6000, 512)) - 4800  # 4800: a frame boundary
    c = CModel(MODEL, "synth")
    c.prepare(rate, 512)
    lat, hop = c.latency, HOP * rate / 48000
    step = max(1, int(hop) // 24)
    res = []
    for t in range(4000, 4000 + int(hop) + 1, step):
        c.reset()
        y = c.render([(t, NOTE)], t + 2 * lat + int(3 * hop) + shape * rate // 48000, 512)
        res.append(_onset(y) - t - lat - shape * rate / 48000)
    res = np.array(res)
    assert res.min() >= -2 and res.max() <= hop + 2, f"{rate} Hz: onset - event - latency in {res.min()}..{res.max()}"
    assert res.min() <= step + 2 and res.max() >= hop - step - 2, f"{rate} Hz: quantisation range {res.min()}..{res.max()}"
