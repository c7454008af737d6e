"""Shared helpers of the VST3/CLAP plugin tests (plugins/dpf): where scripts/build_plugins.sh puts
the bundles, copies of a bundle with another model inside, and the C ABI references (the same
events / audio through rt_synth.capi, block by block at the host's block size)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from rt_synth.capi import CModel

ROOT = Path(__file__).resolve().parents[2]
VIOLIN = ROOT / "exports" / "violin-live-ddsp.rtsynth"
NOT_BUILT = "not built by scripts/build_plugins.sh (it needs dpf-source: bash scripts/setup.sh)"


def vst3_bundle(embed_build: Path, kind: str, stem: str = "violin-live-ddsp") -> Path:
    b = embed_build / "plugins" / "dpf" / "vst3" / f"rt-synth-{stem}-{kind}.vst3"
    assert (b / "Contents" / "Resources" / "model.rtsynth").is_file(), f"{b} {NOT_BUILT}"
    return b


def clap_file(embed_build: Path, kind: str, stem: str = "violin-live-ddsp") -> Path:
    f = embed_build / "plugins" / "dpf" / "clap" / f"rt-synth-{stem}-{kind}.clap"
    assert f.is_file() and f.with_suffix(".rtsynth").is_file(), f"{f} {NOT_BUILT}"
    return f


def vst3_with_model(embed_build: Path, kind: str, model: Path | None, dest: Path, name: str) -> Path:
    """A copy of the violin bundle named rt-synth-NAME-KIND.vst3 holding `model` (None: no model)."""
    src = vst3_bundle(embed_build, kind)
    b = dest / f"rt-synth-{name}-{kind}.vst3"
    shutil.copytree(src, b)
    arch = next((b / "Contents").glob("*-linux"))  # VST3: the binary is named like its bundle
    (arch / f"{src.stem}.so").rename(arch / f"{b.stem}.so")
    res = b / "Contents" / "Resources" / "model.rtsynth"
    res.unlink()
    if model is not None:
        shutil.copy(model, res)
    return b


def note_sequence(rate: int) -> list[tuple[int, bytes]]:
    """8 overlapping notes (8 voices busy), pitch bend, mod wheel and sustain pedal, as
    (host sample, MIDI bytes)."""
    ev = []
    notes = [55, 59, 62, 66, 69, 72, 74, 78]
    for i, n in enumerate(notes):
        ev.append((int(round((0.05 + 0.04 * i) * rate)), bytes([0x90, n, 70 + 5 * i])))
    ev.append((int(round(0.50 * rate)), bytes([0xE0, 0x00, 0x50])))  # bend up
    ev.append((int(round(0.55 * rate)), bytes([0xB0, 1, 100])))      # mod wheel
    ev.append((int(round(0.60 * rate)), bytes([0xB0, 64, 127])))     # sustain on
    for i, n in enumerate(notes):
        ev.append((int(round((0.70 + 0.03 * i) * rate)), bytes([0x80, n, 0])))
    ev.append((int(round(0.95 * rate)), bytes([0xB0, 64, 0])))       # sustain off
    ev.append((int(round(1.00 * rate)), bytes([0xE0, 0x00, 0x40])))  # bend centre
    return sorted(ev, key=lambda e: e[0])


def c_abi_synth(model: Path, events, rate: int, n: int, block: int, params=()) -> np.ndarray:
    c = CModel(model, "synth", voices=8)
    c.prepare(rate, block)
    for k, v in params:
        c.set_param(k, v)
    return c.render(events, n, block=block)


def c_abi_transfer(model: Path, x: np.ndarray, rate: int, block: int, params=()) -> tuple[np.ndarray, int]:
    """x: float32[2, n] -> (float32[2, n], latency)."""
    c = CModel(model, "transfer")
    c.prepare(rate, block, channels=2)
    for k, v in params:
        c.set_param(k, v)
    y = np.concatenate([c.process(inputs=[x[0, i:i + block], x[1, i:i + block]]) for i in range(0, x.shape[1], block)],
                       axis=1)
    return y, c.latency


def transfer_clip(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    f = 220 * 2 ** (t / 2)
    s = 0.3 * np.sin(2 * np.pi * np.cumsum(f) / rate) * (t > 0.1)
    return np.stack([s, 0.8 * s]).astype(np.float32)
