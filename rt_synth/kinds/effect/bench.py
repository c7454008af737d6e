"""One effect model, three runtimes, the same host blocks: the C++ core
(``_core.EffectModel.process``), TorchScript (the nn~ export's ``forward``) and ONNX Runtime
(the streaming block with its state as inputs/outputs).

The host calls each runtime with `block` samples of the same input (plucked guitar-like notes,
DI level). The core and the TorchScript module take any block size; the ONNX export computes a
fixed block (64 samples by default), so at another host block it is wrapped in a FIFO as the
other kinds' comparisons wrap theirs. State is kept across calls by every runtime, each runs
on one thread, all three first run a few warm-up blocks and are reset, and the blocks are
interleaved (core, TorchScript, ONNX Runtime, core, …) so machine noise hits all alike. The
outputs are kept (outside the timed calls) and compared with the core's: the three runtimes
must play the same effect.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from rt_synth.benchmark.frame_fifo import FrameFifo
from rt_synth.benchmark.timing import audio_thread_priority, block_stats

WARMUP_BLOCKS = 10


def guitar_like(n: int, sample_rate: int, seed: int = 0) -> np.ndarray:
    """Plucked notes (E2…E4, a new one every 0.4 s), decaying harmonics, peak about 0.5."""
    rng = np.random.default_rng(seed)
    note_len = int(0.4 * sample_rate)
    t = np.arange(note_len) / sample_rate
    midi = rng.choice([40, 43, 45, 47, 50, 52, 55, 57, 59, 62, 64], size=n // note_len + 1)
    out = np.empty((len(midi), note_len))
    for j, m in enumerate(midi):
        f0 = 440.0 * 2 ** ((m - 69) / 12)
        ks = np.arange(1, 13)[:, None]
        out[j] = (np.sin(2 * np.pi * f0 * ks * t + rng.uniform(0, 2 * np.pi, (12, 1)))
                  * np.exp(-t * (3 + 1.5 * ks)) / ks).sum(0)
    x = 0.3 * out.reshape(-1)[:n] + 1e-3 * rng.standard_normal(n)
    return x.astype(np.float32)


def _runners(core, ts, stream, x: np.ndarray, block: int) -> dict:
    """name → fn(i) that plays host block i and returns its `block` output samples. A model
    with knobs plays at their defaults in all three (the knob rows of the TorchScript and ONNX
    inputs, the core's own defaults)."""
    runners = {"core": lambda i: core.process(x[i * block:(i + 1) * block])}
    defaults = np.array([k["default"] for k in core.knobs], np.float32)
    xk = np.concatenate([x[None], np.repeat(defaults[:, None], len(x), 1)])  # [1 + K, n]
    if ts is not None:
        import torch

        xt = torch.from_numpy(np.ascontiguousarray(xk))

        def ts_block(i):
            with torch.inference_mode():
                return ts.forward(xt[None, :, i * block:(i + 1) * block])[0, 0].numpy()
        runners["torchscript"] = ts_block
    if stream is not None:
        step = stream.block

        def onnx_step(j):
            knobs = xk[None, 1:, j * step:(j + 1) * step] if len(defaults) else None
            return stream.step(x[None, None, j * step:(j + 1) * step], knobs)[0, 0]
        if step == block:
            runners["onnxruntime"] = onnx_step
        else:
            fifo = FrameFifo(onnx_step, step)
            runners["onnxruntime"] = lambda i: fifo.process(block)
    return runners


def compare_effect(model_path: str | Path, block: int = 64, seconds: float = 10.0,
                   ts_path: str | Path | None = None,
                   onnx_path: str | Path | None = None) -> dict:
    from rt_synth.core import load_core

    core = load_core().EffectModel(str(model_path))
    sr = core.sample_rate
    n_blocks = max(1, int(seconds * sr / block))

    ts = stream = None
    if ts_path is not None and Path(ts_path).exists():
        import torch

        torch.set_num_threads(1)
        ts = torch.jit.load(str(ts_path))
    if onnx_path is not None and Path(onnx_path).exists():
        from rt_synth.kinds.effect.export.onnx import OnnxEffectStream

        stream = OnnxEffectStream(onnx_path, threads=1)
    ahead = stream.block if stream is not None else 0  # the FIFO's look-ahead
    x = guitar_like(n_blocks * block + ahead + block, sr)

    for fn in _runners(core, ts, stream, x, block).values():  # first-call costs
        for i in range(WARMUP_BLOCKS):
            fn(i)
    core.reset()
    if ts is not None:
        ts.reset()
    if stream is not None:
        stream.reset()
    runners = _runners(core, ts, stream, x, block)  # fresh FIFOs, every stream from silence

    times = {k: np.zeros(n_blocks, np.int64) for k in runners}
    outputs = {k: np.zeros(n_blocks * block, np.float32) for k in runners}
    clock = time.perf_counter_ns
    with audio_thread_priority() as priority:
        for i in range(n_blocks):
            for name, fn in runners.items():
                t0 = clock()
                y = fn(i)
                times[name][i] = clock() - t0
                outputs[name][i * block:(i + 1) * block] = y
    result = {"model": str(model_path), "kind": "effect", "arch": core.arch, "block": block,
              "sample_rate": sr, "latency_samples": core.latency,
              "seconds": n_blocks * block / sr, "scheduling": priority}
    if stream is not None:
        result["onnx_block"] = stream.block
    for name, t in times.items():
        result[name] = block_stats(t, block, sr)
    result["max_abs_diff_vs_core"] = {
        k: float(np.abs(v - outputs["core"]).max()) for k, v in outputs.items() if k != "core"}
    result["output_rms"] = float(np.sqrt(np.mean(outputs["core"].astype(np.float64) ** 2)))
    for other in ("torchscript", "onnxruntime"):
        if other in result:
            for stat, key in (("p999", "p999_us"), ("p50", "p50_us"), ("rtf", "rtf")):
                result[f"core_speedup_{stat}_vs_{other}"] = result[other][key] / result["core"][key]
    return result
