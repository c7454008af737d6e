"""The final safety stage (docs/safety.md) on every engine path of every shipped model, at host
rates 44.1 / 48 / 96 kHz: full-scale white noise, a 12 kHz square, alternating ±16 and
NaN / ±Inf / ±1e6 bursts in (the reproducers of issue 12: RAVE peaks 21.8..349, a 48 → 44.1 kHz
transfer peak of 9.17) → every output sample finite and |y| ≤ 1. Paths: the synth with extreme
MIDI, DDSP transfer (dry = 1 too, through the resampler) and DDSP controls through the C ABI,
RAVE forward through RaveEngine (pybind11) and the C ABI, RAVE decode with extreme latents.
Also: the ceiling parameter is bounded (−24..+12 dB) and holds when raised, and a normal-level
signal passes the stage bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CModel

from shipped import EXPORTS, RAVE_MODEL, SHIPPED_DDSP

DDSP_MODELS = [EXPORTS / f"{name}.rtsynth" for name in SHIPPED_DDSP]
RATES = [44100, 48000, 96000]
BLOCKS = [7, 64, 1000, 1]  # cycled: odd, small and large blocks in one run
SECONDS = 0.25
FORWARD, DECODE = 3, 5  # RT_SYNTH_METHOD_* of rave models


def _adversarial(sr: int) -> dict[str, np.ndarray]:
    n = int(SECONDS * sr)
    rng = np.random.default_rng(12)
    t = np.arange(n) / sr
    noise = rng.uniform(-1.0, 1.0, n)
    bursts = noise.copy()
    for k, v in enumerate([np.nan, np.inf, -np.inf, 1e6, -1e6, np.nan, 1e6]):
        a = (k + 1) * n // 9
        bursts[a:a + 5 + 40 * k] = v
    return {
        "noise": noise,
        "square_12k": np.where(np.sin(2 * np.pi * 12000 * t) >= 0, 1.0, -1.0),
        "alternating_16": 16.0 * (1 - 2 * (np.arange(n) % 2)),
        "bursts": bursts,
    }


def _run_blocks(fn, x: np.ndarray) -> np.ndarray:
    out, i, k = [], 0, 0
    while i < len(x):
        b = min(BLOCKS[k % len(BLOCKS)], len(x) - i)
        out.append(fn(x[i:i + b]))
        i, k = i + b, k + 1
    return np.concatenate(out)


def _assert_bounded(y: np.ndarray, what: str, ceiling: float = 1.0):
    assert np.isfinite(y).all(), f"{what}: non-finite output"
    peak = float(np.max(np.abs(y)))
    assert peak <= ceiling, f"{what}: peak {peak:.4f} > {ceiling}"
    return peak


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("model", DDSP_MODELS, ids=lambda p: p.stem)
def test_ddsp_transfer_bounded(model, sr):
    c = CModel(model, "transfer")
    c.prepare(sr, 4096)
    for dry in (0.0, 1.0):  # dry 1: the input itself through the ±4 clamp and the resampler
        c.set_param("dry", dry)
        c.set_param("input_gain_db", 40.0)
        for name, x in _adversarial(sr).items():
            c.reset()
            y = _run_blocks(lambda b: c.process(inputs=[b])[0], x.astype(np.float32))
            _assert_bounded(y, f"{model.stem} transfer {name} {sr} Hz dry {dry}")


@pytest.mark.parametrize("model", DDSP_MODELS, ids=lambda p: p.stem)
def test_ddsp_synth_extreme_midi_bounded(model):
    for sr in RATES:
        c = CModel(model, "synth", voices=32)
        c.prepare(sr, 4096)
        c.set_param("output_gain_db", 1e9)       # clamped to its maximum
        c.set_param("limiter_ceiling_db", 1e9)   # the synth's own ceiling at its maximum, 0 dB
        rng = np.random.default_rng(sr)
        out = []
        for blk in range(int(SECONDS * sr) // 256):
            if blk == 0:
                for note in range(128):
                    c.send_midi(bytes([0x90, note, 127]), note % 256)
                c.send_midi(bytes([0xE0, 0x7F, 0x7F]))  # bend up to the top
            else:  # garbage: random bytes, notes on/off, bends, CCs
                c.send_midi(rng.integers(0, 256, 24, dtype=np.uint8).tobytes(), int(rng.integers(0, 256)))
            out.append(c.process(256)[0])
        _assert_bounded(np.concatenate(out), f"{model.stem} synth {sr} Hz")


@pytest.mark.parametrize("model", DDSP_MODELS, ids=lambda p: p.stem)
def test_ddsp_controls_bounded(model):
    c = CModel(model, "controls")
    sr = c.sample_rate
    c.prepare(sr, 4096)
    n = int(SECONDS * sr)
    rng = np.random.default_rng(3)
    f0 = rng.choice([0.0, 20.0, 440.0, 4000.0, 1e6, np.nan, np.inf], n).astype(np.float32)
    ld = rng.choice([-100.0, 0.0, 30.0, 100.0, 1e6, np.nan, -np.inf], n).astype(np.float32)
    f0[: n // 2] = 440.0
    ld[: n // 2] = 60.0  # loud steady note: the network pushed past its trained range
    out = np.concatenate([c.process(inputs=[f0[i:i + 999], ld[i:i + 999]])[0] for i in range(0, n, 999)])
    _assert_bounded(out, f"{model.stem} controls")


@pytest.fixture(scope="module")
def rave_engine():
    return _core.RaveEngine(str(RAVE_MODEL))


@pytest.mark.parametrize("sr", RATES)
def test_rave_forward_bounded_engine_and_capi(rave_engine, sr):
    c = CModel(RAVE_MODEL, FORWARD)
    c.prepare(sr, 4096)
    rave_engine.prepare(sr, 4096)
    peaks = {}
    for name, x in _adversarial(sr).items():
        x = x.astype(np.float32)
        rave_engine.reset()
        c.reset()
        y = _run_blocks(rave_engine.process, x)
        peaks[name] = _assert_bounded(y, f"RaveEngine forward {name} {sr} Hz")
        y2 = _run_blocks(lambda b: c.process(inputs=[b])[0], x)
        _assert_bounded(y2, f"C ABI forward {name} {sr} Hz")
    # The stage did something: these inputs drove the model far past full scale (issue 12).
    assert max(peaks.values()) > 0.85, peaks


def test_rave_decode_extreme_latents_bounded():
    c = CModel(RAVE_MODEL, DECODE)
    sr, R = c.sample_rate, c.hop
    c.prepare(sr, 4096)
    D = c.methods()[2]["in_channels"]
    frames = int(SECONDS * sr) // R
    rng = np.random.default_rng(5)
    for name, z in {
        "in_range": rng.normal(0.0, 3.0, (D, frames)),
        "huge": rng.choice([-1e3, -50.0, 50.0, 1e3], (D, frames)),
        "bad": rng.choice([np.nan, np.inf, -np.inf, 1e6, 0.0], (D, frames)),
    }.items():
        c.reset()
        z = z.astype(np.float32)
        out = np.concatenate([c.process(n=R * 8, inputs=[z[d, f:f + 8] for d in range(D)])[0]
                              for f in range(0, frames - 7, 8)])
        _assert_bounded(out, f"decode {name}")


def test_ceiling_parameter_bounded_and_held(rave_engine):
    c = CModel(RAVE_MODEL, FORWARD)
    c.prepare(44100, 512)
    hostile = {k: v.astype(np.float32) for k, v in _adversarial(44100).items()}
    x = hostile["alternating_16"]
    c.set_param("output_ceiling_db", 100.0)  # clamped to +12 dB
    assert c.get_param("output_ceiling_db") == 12.0
    peaks = []
    for name, h in hostile.items():
        c.reset()
        peaks.append(_assert_bounded(_run_blocks(lambda b: c.process(inputs=[b])[0], h),
                                     f"ceiling +12 dB, {name}", 10 ** (12 / 20)))
    assert max(peaks) > 1.0  # raised: the output may pass 0 dBFS, up to +12 dB
    c.set_param("output_ceiling_db", -100.0)  # clamped to -24 dB
    assert c.get_param("output_ceiling_db") == -24.0
    c.reset()
    _assert_bounded(_run_blocks(lambda b: c.process(inputs=[b])[0], x), "ceiling -24 dB", 10 ** (-24 / 20))
    rave_engine.set_output_ceiling_db(-1e9)
    assert rave_engine.output_ceiling_db == -24.0
    rave_engine.set_output_ceiling_db(0.0)


def test_normal_level_passes_bit_for_bit():
    """The DDSP controls method through the C ABI (stage included) equals DDSPModel's output
    (no stage) exactly when that stays below the threshold (ceiling − 1 dB)."""
    c = CModel(DDSP_MODELS[0], "controls")
    sr = c.sample_rate
    c.prepare(sr, 4096)
    n = sr // 2
    f0 = np.full(n, 330.0, np.float32)
    ld = np.linspace(-60.0, -25.0, n).astype(np.float32)
    m = _core.DDSPModel(str(DDSP_MODELS[0]))
    m.prepare(sr, 4096)
    ref = np.concatenate([m.process(f0[i:i + 4096], ld[i:i + 4096]) for i in range(0, n, 4096)])
    y = np.concatenate([c.process(inputs=[f0[i:i + 4096], ld[i:i + 4096]])[0] for i in range(0, n, 4096)])
    assert 0.01 < np.max(np.abs(ref)) < 0.89
    assert np.array_equal(y, ref)
