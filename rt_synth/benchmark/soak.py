"""Soak run of the core through the C ABI (rt_synth.capi): N minutes of random MIDI, parameter
changes (NaN and out-of-range values included), resets, model swaps (a fresh handle, another
method or host rate) and adversarial input (full-scale noise, a 12 kHz square, alternating ±16,
NaN/Inf bursts, 1e30), with a clean probe running beside it. `rt-synth soak MODEL --minutes N`.

Measured (docs/soak.md):
- nan_count: non-finite output samples over every handle; peak: the largest |y| (every
  parameter is moved at random except output_ceiling_db, which stays at its default 0 dB).
- tuning drift of a held note (DDSP models): a probe handle holds A4 (MIDI 69, 440 Hz) for the
  whole run with vibrato off and nothing else sent to it; its f0 is estimated over the first and
  the last `probe_window_s` seconds (Hann-windowed FFT peak near 440 Hz, zero-padded, parabolic
  interpolation) and drift_cents = 1200·log2(f_end / f_start). RAVE models hold no note:
  drift is null with the reason.
- RSS growth: VmRSS from warm (the first interval end after every method x host rate has been
  opened once by the swaps) to the end, MiB; each interval's RSS is in the report too.
- per-block time percentiles per interval (one minute, or a tenth of a short run): the chaos
  handle's random-size blocks (1..max_block) and the probe's fixed blocks; a denormal or state
  drift slowdown shows as a rising probe p50 (probe_slowdown = last / first interval p50).
The run is not paced to real time: it processes audio as fast as the core goes on one thread.
"""
from __future__ import annotations

import math
import os
import time
from array import array
from dataclasses import dataclass, field

import numpy as np

HOST_RATES = (48000.0, 44100.0, 96000.0)
PROBE_NOTE = 69  # A4
PROBE_BLOCK = 256
CEILING_PARAM = "output_ceiling_db"  # docs/safety.md


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def f0_near(x: np.ndarray, sr: float, expected: float, cents: float = 100.0) -> float:
    """Frequency of the strongest spectral peak within ±cents of `expected` (Hann window,
    8x zero padding, parabolic interpolation of the log magnitude)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    nfft = 1 << int(math.ceil(math.log2(n * 8)))
    spec = np.abs(np.fft.rfft(x * np.hanning(n), nfft)) + 1e-30
    lo = int(expected * 2 ** (-cents / 1200) * nfft / sr)
    hi = int(math.ceil(expected * 2 ** (cents / 1200) * nfft / sr)) + 1
    k = lo + int(np.argmax(spec[lo:hi]))
    a, b, c = np.log(spec[k - 1:k + 2])
    d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return (k + d) * sr / nfft


class _Stream:
    """One prepared C ABI handle with preallocated buffers; process() is timed around the
    C call only (no allocation in the loop)."""

    def __init__(self, source: bytes, name: str, method: str, rate: float, max_block: int):
        from rt_synth.capi import CModel

        # a rave model opens forward through its alias "transfer" (rt_synth.h)
        self.model = CModel(source, method="transfer" if method == "forward" else method, voices=8, name=name)
        self.model.prepare(rate, max_block, 1)
        self.method, self.rate, self.max_block = method, rate, max_block
        ffi, lib = self.model._ffi, self.model._lib  # the bridge's own cffi handles
        self._ffi, self._lib, self._h = ffi, lib, self.model._h
        self.inp = np.zeros(max_block, dtype=np.float32)
        self.out = np.zeros(max_block, dtype=np.float32)
        self._ip = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(self.inp))])
        self._op = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(self.out))])
        # (id, min, max, default) of every parameter but the safety stage's ceiling, which stays
        # at its default (|y| <= 1) so that the peak means something
        self.params = [v for k, v in self.model.params().items() if k != CEILING_PARAM]

    def process(self, n: int) -> int:
        t0 = time.perf_counter_ns()
        st = self._lib.rt_synth_process(self._h, self._ip, self._op, n)
        dt = time.perf_counter_ns() - t0
        if st != 0:
            raise RuntimeError(f"rt_synth_process returned {st}")
        return dt

    def set_param_raw(self, pid: int, value: float) -> int:
        return self._lib.rt_synth_set_param(self._h, pid, value)

    def send_midi(self, data: bytes, offset: int) -> int:
        return self._lib.rt_synth_send_midi(self._h, data, len(data), offset)

    def close(self) -> None:
        self.model.close()


@dataclass
class _Interval:
    t0: float
    chaos_ns: array = field(default_factory=lambda: array("q"))
    probe_ns: array = field(default_factory=lambda: array("q"))

    def summary(self, t1: float) -> dict:
        def pct(v):
            if not v:
                return None
            a = np.asarray(v, dtype=np.float64) / 1000.0
            return dict(p50_us=float(np.percentile(a, 50)), p99_us=float(np.percentile(a, 99)),
                        p999_us=float(np.percentile(a, 99.9)), max_us=float(a.max()), blocks=len(v))
        return dict(t_start_s=round(self.t0, 3), t_end_s=round(t1, 3), rss_mib=round(rss_mib(), 1),
                    chaos=pct(self.chaos_ns), probe=pct(self.probe_ns))


def _adversarial(rng: np.random.Generator, kind: int, n: int, rate: float, t0: int) -> np.ndarray:
    t = np.arange(t0, t0 + n)
    if kind == 0:
        return np.zeros(n, np.float32)
    if kind == 1:
        return (0.5 * np.sin(2 * np.pi * 220.0 * t / rate)).astype(np.float32)
    if kind == 2:
        return rng.uniform(-1, 1, n).astype(np.float32)  # full-scale white noise
    if kind == 3:
        return np.where((t * min(12000.0, rate / 4) / rate) % 1.0 < 0.5, 1.0, -1.0).astype(np.float32)
    if kind == 4:
        return np.where(t % 2 == 0, 16.0, -16.0).astype(np.float32)
    if kind == 5:
        x = rng.uniform(-1, 1, n).astype(np.float32)
        x[rng.integers(0, n, max(1, n // 16))] = np.nan
        return x
    if kind == 6:
        return np.where(t % 2 == 0, np.inf, -np.inf).astype(np.float32)
    return np.full(n, 1e30, np.float32)


def _random_midi(rng: np.random.Generator) -> bytes:
    k = rng.integers(0, 8)
    note = int(rng.integers(24, 108))
    if k <= 2:
        return bytes([0x90, note, int(rng.integers(1, 128))])
    if k <= 4:
        return bytes([0x80, note, 0])
    if k == 5:
        return bytes([0xB0, int(rng.integers(0, 128)), int(rng.integers(0, 128))])
    if k == 6:
        return bytes([0xE0, int(rng.integers(0, 128)), int(rng.integers(0, 128))])
    return bytes(rng.integers(0, 256, int(rng.integers(1, 9))).tolist())  # garbage


def soak(model_path, seconds: float, seed: int = 0, max_block: int = 512, swap_every_s: float | None = None,
         interval_s: float | None = None, probe_window_s: float = 2.0, progress=None) -> dict:
    """Runs the soak for `seconds` of wall time and returns the report (a dict, JSON-ready)."""
    from rt_synth.capi import CModel

    source = open(model_path, "rb").read()
    name = os.path.basename(str(model_path))
    kind = CModel(source, method="transfer", name=name).kind
    methods = ["synth", "transfer"] if kind == "ddsp" else ["forward"]
    rng = np.random.default_rng(seed)
    interval_s = interval_s or (60.0 if seconds >= 300 else max(1.0, seconds / 10))
    swap_every_s = swap_every_s or (30.0 if seconds >= 300 else max(0.5, seconds / 12))
    cycle = len(methods) * len(HOST_RATES)  # swaps until every (method, host rate) has been opened

    probe = None
    if kind == "ddsp":
        probe = _Stream(source, name, "synth", 48000.0, PROBE_BLOCK)
        probe.model.set_param("vibrato_depth_cents", 0.0)
        probe.send_midi(bytes([0x90, PROBE_NOTE, 100]), 0)
    window = int(probe_window_s * 48000.0)
    probe_head = np.zeros(0, np.float32)
    probe_tail: list[np.ndarray] = []
    probe_tail_len = 0
    probe_samples = 0

    swaps = resets = midi_sent = params_set = params_refused = 0
    nan_count = 0
    peak = 0.0
    audio_samples = 0
    chaos = _Stream(source, name, methods[0], HOST_RATES[0], max_block)
    intervals: list[dict] = []
    start = time.monotonic()
    cur = _Interval(0.0)
    rss_warm = None
    rss_start = rss_mib()
    next_swap = swap_every_s
    kind_in, kind_left = 0, 0
    t_in = 0

    def check(y: np.ndarray):
        nonlocal nan_count, peak
        fin = np.isfinite(y)
        bad = int(y.size - np.count_nonzero(fin))
        nan_count += bad
        if y.size:
            p = float(np.max(np.abs(np.where(fin, y, 0.0))))
            peak = max(peak, p)

    while True:
        now = time.monotonic() - start
        if now >= seconds:
            break
        if now - cur.t0 >= interval_s:
            intervals.append(cur.summary(now))
            if rss_warm is None and swaps >= cycle:  # warm: every handle kind allocated once
                rss_warm = rss_mib()
            if progress:
                progress(intervals[-1], nan_count, peak)
            cur = _Interval(now)
        if now >= next_swap:  # a new handle: another method / host rate, the old one closed
            next_swap += swap_every_s
            swaps += 1
            old = chaos
            chaos = _Stream(source, name, methods[swaps % len(methods)], HOST_RATES[swaps % len(HOST_RATES)], max_block)
            old.close()
        # control events for the chaos handle
        for _ in range(int(rng.integers(0, 3))):
            if chaos.send_midi(_random_midi(rng), int(rng.integers(0, max_block))) in (0, 8):
                midi_sent += 1
        if chaos.params and rng.random() < 0.3:
            pid, lo, hi, _ = chaos.params[int(rng.integers(0, len(chaos.params)))]
            r = rng.random()
            v = float("nan") if r < 0.05 else (1e30 if r < 0.1 else float(lo + (hi - lo) * rng.random()))
            if chaos.set_param_raw(pid, v) == 0:
                params_set += 1
            else:
                params_refused += 1
        if rng.random() < 0.002:
            chaos.model.reset()
            resets += 1
        n = int(rng.integers(1, max_block + 1))
        if chaos.method != "synth":
            if kind_left <= 0:
                kind_in, kind_left = int(rng.integers(0, 8)), int(rng.integers(1, 200))
            kind_left -= 1
            chaos.inp[:n] = _adversarial(rng, kind_in, n, chaos.rate, t_in)
            t_in += n
        cur.chaos_ns.append(chaos.process(n))
        check(chaos.out[:n])
        audio_samples += n
        if probe is not None:
            cur.probe_ns.append(probe.process(PROBE_BLOCK))
            y = probe.out.copy()
            check(y)
            probe_samples += PROBE_BLOCK
            if len(probe_head) < window + 48000:  # skip the first second (attack), keep a window
                probe_head = np.concatenate([probe_head, y])
            probe_tail.append(y)
            probe_tail_len += PROBE_BLOCK
            while probe_tail_len - len(probe_tail[0]) >= window:
                probe_tail_len -= len(probe_tail.pop(0))
    end = time.monotonic() - start
    intervals.append(cur.summary(end))
    rss_end = rss_mib()
    chaos.close()

    report = dict(model=str(model_path), kind=kind, seconds=round(end, 3), seed=seed, max_block=max_block,
                  host_rates=list(HOST_RATES), methods=methods, audio_seconds=round(audio_samples / 48000.0, 1),
                  swaps=swaps, resets=resets, midi_events=midi_sent, param_sets=params_set,
                  param_refused=params_refused, nan_count=nan_count, peak=peak,
                  rss_start_mib=round(rss_start, 1), rss_warm_mib=round(rss_warm if rss_warm else rss_end, 1),
                  rss_end_mib=round(rss_end, 1),
                  rss_growth_mib=round(rss_end - (rss_warm if rss_warm else rss_start), 2), intervals=intervals)
    if probe is not None:
        head = probe_head[48000:48000 + window]
        tail = np.concatenate(probe_tail)[-window:]
        f_ref = 440.0
        if len(head) == window and len(tail) == window and probe_samples >= 48000 + 2 * window:
            f_start, f_end = f0_near(head, 48000.0, f_ref), f0_near(tail, 48000.0, f_ref)
            report.update(f0_start_hz=f_start, f0_end_hz=f_end, drift_cents=1200.0 * math.log2(f_end / f_start),
                          probe_audio_seconds=round(probe_samples / 48000.0, 1))
        else:
            report.update(drift_cents=None, drift_note="run too short for two probe windows")
        probe.close()
    else:
        report.update(drift_cents=None, drift_note="a rave model holds no note (no tuning to drift)")
    p50 = [iv["probe"]["p50_us"] for iv in intervals if iv["probe"]] or \
          [iv["chaos"]["p50_us"] for iv in intervals if iv["chaos"]]
    report["probe_slowdown"] = (p50[-1] / p50[0]) if len(p50) >= 2 and p50[0] > 0 else None
    return report
