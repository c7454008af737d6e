"""One DDSP model, three runtimes, the same host blocks: the C++ core, TorchScript (as nn~
or neutone would run it) and ONNX Runtime (the streaming step export).

A host calls every runtime with `block` samples at a time. The core takes any block size
natively. TorchScript and ONNX Runtime compute whole frames (hop samples), so — as nn~ does —
each is wrapped in a FIFO: a block runs the model for every frame boundary it crosses and
serves its samples from the FIFO. Inputs (a melody with vibrato and dynamics), state
handling (kept across calls) and one thread each are the same for all three, and the blocks
are interleaved (core, TorchScript, ONNX Runtime, core, …) so machine noise hits all alike.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from rt_synth.benchmark.frame_fifo import FrameFifo
from rt_synth.benchmark.timing import audio_thread_priority, block_stats


def melody_controls(n_samples: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n_samples) / sample_rate
    notes = 440.0 * 2 ** (np.array([-9, -5, -2, 0, 3, 0, -2, -5]) / 12)
    f0 = notes[(t * 2).astype(int) % len(notes)] * (1 + 0.006 * np.sin(2 * np.pi * 5.5 * t))
    ld = -30 + 12 * np.sin(2 * np.pi * 0.3 * t)
    return f0.astype(np.float32), ld.astype(np.float32)


def compare(model_path: str | Path, block: int, seconds: float = 10.0,
            ts_path: str | Path | None = None, onnx_path: str | Path | None = None) -> dict:
    from rt_synth.core import load_core

    core = load_core()
    model = core.load_model(str(model_path))
    sr, hop = model.sample_rate, model.hop
    n_blocks = int(seconds * sr / block)
    f0, ld = melody_controls(n_blocks * block + 2 * hop, sr)
    model.prepare(sr, block)
    model.reset(0)
    out = np.zeros(block, np.float32)

    runners = {}

    def core_block(i):
        s = i * block
        model.process(f0[s:s + block], ld[s:s + block], out)
    runners["core"] = core_block

    if ts_path is not None and Path(ts_path).exists():
        import torch

        torch.set_num_threads(1)
        ts = torch.jit.load(str(ts_path))
        ts.reset()
        frame_f0 = torch.from_numpy(f0[::hop].copy())
        frame_ld = torch.from_numpy(ld[::hop].copy())

        def ts_frame(j):
            x = torch.stack([frame_f0[j:j + 1], frame_ld[j:j + 1]])[None]
            with torch.inference_mode():
                return ts.forward_frames(x)[0, 0].numpy()
        ts_fifo = FrameFifo(ts_frame, hop)
        runners["torchscript"] = lambda i: ts_fifo.process(block)

    if onnx_path is not None and Path(onnx_path).exists():
        from rt_synth.dsp.prng import counter_noise
        from rt_synth.kinds.ddsp.export.onnx import OnnxDDSPStream

        stream = OnnxDDSPStream(onnx_path, threads=1)
        frames = stream.frames
        noise = counter_noise(len(f0) + frames * hop, seed=0)[None]
        of0, old = f0[None, ::hop].copy(), ld[None, ::hop].copy()

        def onnx_frames(j):  # one ONNX step = `frames` frames
            a = j * frames
            return stream.step(of0[:, a:a + frames], old[:, a:a + frames],
                               noise[:, a * hop:(a + frames) * hop])[0]
        onnx_fifo = FrameFifo(onnx_frames, hop * frames)
        runners["onnxruntime"] = lambda i: onnx_fifo.process(block)

    times = {k: np.zeros(n_blocks, np.int64) for k in runners}
    clock = time.perf_counter_ns
    with audio_thread_priority() as priority:
        for i in range(n_blocks):
            for name, fn in runners.items():
                t0 = clock()
                fn(i)
                times[name][i] = clock() - t0
    result = {"model": str(model_path), "block": block, "sample_rate": sr, "hop": hop,
              "seconds": n_blocks * block / sr, "scheduling": priority}
    for name, t in times.items():
        result[name] = block_stats(t, block, sr)
    for other in ("torchscript", "onnxruntime"):
        if other in result:
            result[f"core_speedup_p999_vs_{other}"] = result[other]["p999_us"] / result["core"]["p999_us"]
            result[f"core_speedup_p50_vs_{other}"] = result[other]["p50_us"] / result["core"]["p50_us"]
    return result
