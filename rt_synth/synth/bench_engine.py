"""`--voices` engine benchmark: the whole synth engine (MIDI queue, N voices, batched
network, oscillators, noise, limiter) timed per process() call in C++ (steady_clock around
each call, GIL released), with N notes held so N voices sound throughout.

For the lead's `rt-synth bench`: call ``bench_engine(model, voices=N, block=B)`` and print
its dict (``json.dumps``) for ``--json``, or ``format_report(result)`` for people."""
from __future__ import annotations

import numpy as np

from rt_synth.synth.engine import load_engine, note_on


def bench_engine(model_path, voices: int = 8, block: int = 64, seconds: float = 20.0,
                 warmup_s: float = 1.0, realtime: bool = True, lookahead_frames: int = -1) -> dict:
    """Percentiles of the wall time per block (what a deadline sees) and of the thread's CPU
    time (what the engine costs, free of preemption by other processes). realtime: time the
    loop under SCHED_FIFO like an audio thread (granted to root / rtprio users).
    lookahead_frames: -1 = the engine's default (1 when block < hop: the network step is spread
    over the frame's blocks, one hop of added latency), 0 = step at the frame boundary."""
    eng = load_engine(model_path, voices=voices, max_block=block, lookahead_frames=lookahead_frames)
    sr = eng.sample_rate
    eng.set_param("sustain", 0.8)
    # A spread chord, one note per voice (different pitches: different harmonic counts).
    for i in range(voices):
        eng.push_midi(note_on(40 + (i * 5) % 48, 100), 0)
    warm = max(1, int(warmup_s * sr / block))
    eng.time_blocks(warm, block, False)
    sounding = eng.stats()["active_voices"]
    n = max(100, int(seconds * sr / block))
    wall_ns, cpu_ns, rt_granted = eng.time_blocks(n, block, realtime)
    sounding = min(sounding, eng.stats()["active_voices"])
    t_us = wall_ns.astype(np.float64) / 1e3
    c_us = cpu_ns.astype(np.float64) / 1e3
    period_us = block / sr * 1e6
    p50, p99, p999 = (float(np.percentile(t_us, q)) for q in (50, 99, 99.9))
    return {
        "model": str(model_path), "voices": voices, "voices_sounding": int(sounding),
        "block": block, "sample_rate": sr, "blocks": int(n),
        "lookahead_frames": int(eng.lookahead_frames), "network_groups": int(eng.network_groups),
        "latency_samples": int(eng.latency),
        "period_us": period_us, "p50_us": p50, "p99_us": p99, "p999_us": p999,
        "max_us": float(t_us.max()), "mean_us": float(t_us.mean()),
        "p999_load": p999 / period_us, "real_time_factor": float(t_us.sum() / (n * period_us)),
        "cpu_p50_us": float(np.percentile(c_us, 50)), "cpu_p99_us": float(np.percentile(c_us, 99)),
        "cpu_p999_us": float(np.percentile(c_us, 99.9)), "realtime_priority": bool(rt_granted),
        "target_p999_load": 0.5, "pass": bool(p999 <= 0.5 * period_us),
    }


def format_report(r: dict) -> str:
    return (f"engine: {r['voices_sounding']}/{r['voices']} voices, block {r['block']} @ {r['sample_rate']} Hz "
            f"(period {r['period_us']:.0f} us), {r['blocks']} blocks, lookahead {r.get('lookahead_frames', 0)} "
            f"frame(s) ({r.get('network_groups', 1)} network groups, latency {r.get('latency_samples', 0)} samples)\n"
            f"  p50 {r['p50_us']:.1f} us  p99 {r['p99_us']:.1f} us  p99.9 {r['p999_us']:.1f} us  "
            f"max {r['max_us']:.1f} us  (wall{', SCHED_FIFO' if r['realtime_priority'] else ''})\n"
            f"  thread CPU: p50 {r['cpu_p50_us']:.1f} us  p99 {r['cpu_p99_us']:.1f} us  "
            f"p99.9 {r['cpu_p999_us']:.1f} us\n"
            f"  p99.9 load {100 * r['p999_load']:.1f} % of the period (target <= 50 %): "
            f"{'PASS' if r['pass'] else 'FAIL'};  real-time factor {r['real_time_factor']:.3f}")
