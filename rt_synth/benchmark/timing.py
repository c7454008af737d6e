"""Per-block timing statistics shared by every benchmark."""
from __future__ import annotations

import contextlib
import gc
import os

import numpy as np


@contextlib.contextmanager
def audio_thread_priority():
    """Run the timed loop as an audio host runs its callback thread: real-time FIFO
    scheduling where allowed (root), else the best nice level, with Python's garbage
    collector paused. Yields a word saying which was obtained (reported in the results)."""
    got = "normal"
    old_policy = None
    try:
        old_policy = (os.sched_getscheduler(0), os.sched_getparam(0))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        got = "SCHED_FIFO"
    except (AttributeError, PermissionError, OSError):
        old_policy = None
        with contextlib.suppress(OSError):
            os.nice(-20)
            got = "nice -20"
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield got
    finally:
        if gc_was_enabled:
            gc.enable()
        if old_policy is not None:
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, old_policy[0], old_policy[1])


def block_stats(times_ns, block: int, sample_rate: int) -> dict:
    """times_ns: wall time of each block, in order. rtf = compute time / audio time;
    first10_us = mean of the first 10 blocks (cold caches, first-call costs)."""
    t = np.asarray(times_ns, dtype=np.float64) / 1000.0
    audio_us = len(t) * block / sample_rate * 1e6
    return {
        "blocks": int(len(t)),
        "p50_us": float(np.percentile(t, 50)),
        "p99_us": float(np.percentile(t, 99)),
        "p999_us": float(np.percentile(t, 99.9)),
        "max_us": float(t.max()),
        "mean_us": float(t.mean()),
        "rtf": float(t.sum() / audio_us),
        "first10_us": float(t[:10].mean()),
        "period_us": float(block / sample_rate * 1e6),
    }
