"""One RAVE model, three runtimes, the same host blocks: the C++ core (``RaveModel.forward``),
TorchScript (the nn~ export's ``forward`` method) and ONNX Runtime (the streaming
timbre-transfer step with its state as inputs/outputs).

The host calls each runtime with `block` samples of the same input (a harmonic tone with
vibrato, dynamics and breath noise). The core takes any block size natively. TorchScript and
ONNX Runtime compute whole steps (R samples, or the ONNX export's fixed step), so — as nn~
does — each is wrapped in a FIFO: a block runs the model for every step boundary it crosses.
State is kept across calls by every runtime, each runs on one thread, and the blocks are
interleaved (core, TorchScript, ONNX Runtime, core, …) so machine noise hits all alike.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from rt_synth.benchmark.frame_fifo import FrameFifo
from rt_synth.benchmark.timing import audio_thread_priority, block_stats


def test_audio(n: int, sample_rate: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    notes = 220.0 * 2 ** (np.array([0, 3, 7, 12, 7, 3]) / 12)
    f0 = notes[(t * 2).astype(int) % len(notes)] * (1 + 0.006 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    x = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.2
    x *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t)
    return (x + 0.01 * rng.standard_normal(n)).astype(np.float32)


def compare_rave(model_path: str | Path, block: int, seconds: float = 10.0,
                 ts_path: str | Path | None = None, onnx_path: str | Path | None = None) -> dict:
    from rt_synth.core import load_core

    core = load_core()
    model = core.RaveModel(str(model_path))
    sr, ratio = model.sample_rate, model.ratio
    n_blocks = int(seconds * sr / block)
    x = test_audio(n_blocks * block + 8 * ratio + 65536, sr)
    model.prepare(sr, block)
    model.reset()

    runners = {}

    def core_block(i):
        model.forward(x[i * block:(i + 1) * block])
    runners["core"] = core_block

    if ts_path is not None and Path(ts_path).exists():
        import torch

        torch.set_num_threads(1)
        ts = torch.jit.load(str(ts_path))
        ts.reset()
        xt = torch.from_numpy(x)

        def ts_frame(j):
            with torch.inference_mode():
                return ts.forward(xt[j * ratio:(j + 1) * ratio].view(1, 1, -1))[0, 0].numpy()
        ts_fifo = FrameFifo(ts_frame, ratio)
        runners["torchscript"] = lambda i: ts_fifo.process(block)

    if onnx_path is not None and Path(onnx_path).exists():
        from rt_synth.kinds.rave.export.onnx import OnnxRaveStream

        stream = OnnxRaveStream(onnx_path, threads=1)
        step = stream.block
        m = model.metadata["n_bands"]
        noise = None  # the export has no noise input when the model has no noise branch
        if getattr(stream, "has_noise", True):  # same noise each step: timing only
            noise = np.random.default_rng(1).uniform(-1, 1, (1, m, step // m)).astype(np.float32)

        def onnx_step(j):
            return stream.step(x[None, None, j * step:(j + 1) * step], noise)[0, 0]
        onnx_fifo = FrameFifo(onnx_step, step)
        runners["onnxruntime"] = lambda i: onnx_fifo.process(block)

    for fn in runners.values():  # warm-up (first-call costs), then the same state start
        fn(0)
    model.reset()
    times = {k: np.zeros(n_blocks, np.int64) for k in runners}
    clock = time.perf_counter_ns
    with audio_thread_priority() as priority:
        for i in range(n_blocks):
            for name, fn in runners.items():
                t0 = clock()
                fn(i)
                times[name][i] = clock() - t0
    result = {"model": str(model_path), "kind": "rave", "block": block, "sample_rate": sr,
              "ratio": ratio, "latency_samples": model.latency,
              "seconds": n_blocks * block / sr, "scheduling": priority}
    for name, t in times.items():
        result[name] = block_stats(t, block, sr)
    for other in ("torchscript", "onnxruntime"):
        if other in result:
            result[f"core_speedup_p999_vs_{other}"] = result[other]["p999_us"] / result["core"]["p999_us"]
            result[f"core_speedup_p50_vs_{other}"] = result[other]["p50_us"] / result["core"]["p50_us"]
    return result
