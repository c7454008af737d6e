"""The causal YIN of rt_synth/dsp/yin.py (docs/yin.md) in torch, for the TorchScript and ONNX
exports of a model with a pitch source.

The numba tracker keeps running sums of the difference function, updated per sample and
recomputed exactly every 256 frames. This one computes every frame directly from a history
buffer of the last W + tau_max (sanitised, float64) samples, vectorised over the lags:

    d(tau) = sum_{m=n-W+1..n} (x[m] - x[m-tau])^2,   e = sum_{m=n-W+1..n} x[m]^2

then the same analysis (docs/yin.md step 4): silence (e < 1e-12 W: periodicity 0, f0 held
from the last voiced frame), CMNDF, absolute threshold and the walk to the bottom of the
dip, global minimum (first on ties) when unvoiced, parabolic interpolation clamped to
[-1, 1]. The two differ only by the rounding of the sums (relative ~1e-13 here against the
running sums' drift, bounded by their refresh), so f0 and periodicity agree to ~1e-9 except
on frames whose decision sits on a knife edge (a CMNDF value within rounding of the
threshold, two minima within rounding of each other, e within rounding of the silence floor).
tests/kinds/rave/model/test_torch_yin.py counts them.

No data-dependent Python control flow on tensor values (TorchScript and ONNX export): the
threshold search and the walk are argmax/argmin over masks.

State (zeros = the state after reset, which the ONNX export relies on):
    history [B, W + tau_max] float64   the last samples before the block, sanitised
    held    [B] float64                the last voiced f0; <= 0 means "none yet" (f0_min)
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn

from rt_synth.dsp.yin import CLIP, SILENCE_POWER, yin_params

# elements of the [frames, tau_max + 1, W] difference tensor computed at once (float64: 16 MB)
_CHUNK_ELEMENTS = 2_000_000


class TorchYin(nn.Module):
    def __init__(self, sample_rate: int, f0_min: float, f0_max: float, threshold: float):
        super().__init__()
        window, tau_min, tau_max = yin_params(int(sample_rate), f0_min, f0_max)
        self.sample_rate = float(sample_rate)
        self.f0_min = float(f0_min)
        self.threshold = float(threshold)
        self.window = int(window)
        self.tau_min = int(tau_min)
        self.tau_max = int(tau_max)
        self.lookback = int(window + tau_max)
        self.silence = float(SILENCE_POWER * window)  # the same float64 product as yin.py
        self.clip = float(CLIP)
        self.chunk = max(1, _CHUNK_ELEMENTS // ((tau_max + 1) * window))
        # True while tracing for ONNX: the same numbers through ops onnxruntime runs fast
        self.export_friendly = False

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        return [torch.zeros(batch, self.lookback, dtype=torch.float64),
                torch.zeros(batch, dtype=torch.float64)]

    def sanitise(self, x: torch.Tensor) -> torch.Tensor:
        """Samples as the tracker sees them: float64, non-finite -> 0, clipped to +-4."""
        x = x.to(torch.float64)
        x = torch.where(torch.isfinite(x), x, torch.zeros_like(x))
        return torch.clamp(x, -self.clip, self.clip)

    def analyse(self, win: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                  torch.Tensor]:
        """win [B, F, W + tau_max]: the look-back of F frames, each ending at its frame's last
        sample → f0, periodicity (float64), voiced, silent (bool), each [B, F]. f0 of a
        silent frame is not meaningful here (the caller holds it)."""
        w, tmin, tmax = self.window, self.tau_min, self.tau_max
        b, f, n = win.shape[0], win.shape[1], win.shape[2]
        current = win[:, :, tmax:]                   # x[n-W+1 .. n]
        if self.export_friendly:
            # lagged[..., tau, k] = x[n - W + 1 + k - tau] by the reshape trick (Tile, Slice,
            # Reshape: a gather of (tau_max+1)*W elements is 3x slower in onnxruntime and
            # unfold exports as one Slice per lag): rows of length n-1 taken from the window
            # repeated, starting at tau_max, shift back by one sample per row.
            flat = win.repeat(1, 1, tmax + 1)[:, :, tmax:tmax + (tmax + 1) * (n - 1)]
            lagged = flat.reshape(b, f, tmax + 1, n - 1)[:, :, :, :w]
            diff = current.unsqueeze(2) - lagged
            d = (diff * diff).sum(-1)[:, :, 1:]      # d(tau), tau = 1..tau_max
        else:
            # row o of the unfold is x[n - W + 1 + k - (tau_max - o)]: lags in reverse
            diff = current.unsqueeze(2) - win.unfold(2, w, 1)
            d = torch.flip(diff.mul_(diff).sum(-1), [2])[:, :, 1:]
        energy = (current * current).sum(-1)
        # CMNDF: c(tau) = d(tau) * tau / sum_{t<=tau} d(t)  (1 while the sum is 0)
        taus = torch.arange(1, tmax + 1, device=win.device).to(torch.float64)
        running = torch.cumsum(d, dim=-1)
        positive = running > 0.0
        safe = torch.where(positive, running, torch.ones_like(running))
        c = torch.where(positive, d * taus / safe, torch.ones_like(d))
        c = torch.cat([torch.ones_like(c[:, :, :1]), c], dim=-1)  # c[tau], tau = 0..tau_max
        seg = c[:, :, tmin:]                                          # tau = tau_min..tau_max
        n_seg = tmax - tmin + 1
        pos = torch.arange(n_seg, device=win.device)
        below = seg < self.threshold
        voiced = below.any(-1)
        first = torch.argmax(below.to(torch.float64), dim=-1)        # first tau under it
        # walk right while c(tau+1) < c(tau): stop at the first tau >= first where it is not
        nxt = torch.cat([seg[:, :, 1:], torch.full_like(seg[:, :, :1], float("inf"))], dim=-1)
        stop = (nxt >= seg) & (pos >= first.unsqueeze(-1))
        walked = torch.argmax(stop.to(torch.float64), dim=-1)
        lowest = torch.argmin(seg, dim=-1)                           # first on ties
        best = torch.where(voiced, walked, lowest) + tmin            # tau, int64
        cb = torch.gather(c, 2, best.unsqueeze(-1)).squeeze(-1)
        ca = torch.gather(c, 2, (best - 1).unsqueeze(-1)).squeeze(-1)
        cc = torch.gather(c, 2, torch.clamp(best + 1, max=tmax).unsqueeze(-1)).squeeze(-1)
        denom = ca - 2.0 * cb + cc
        use = (best + 1 <= tmax) & (denom > 0.0)
        shift = torch.where(use, 0.5 * (ca - cc) / torch.where(use, denom, torch.ones_like(denom)),
                            torch.zeros_like(denom))
        shift = torch.clamp(shift, -1.0, 1.0)
        periodicity = torch.clamp(1.0 - cb, 0.0, 1.0)
        f0 = self.sample_rate / (best.to(torch.float64) + shift)
        silent = energy < self.silence
        return f0, periodicity, voiced & ~silent, silent

    def frames(self, full: torch.Tensor, ends: List[int], held: torch.Tensor
               ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """full [B, L + n]: the history then the block, sanitised; ends: exclusive end (index in
        full) of each frame's window, ascending, each >= L → f0, periodicity [B, len(ends)]
        float64 and the new held f0."""
        b = full.shape[0]
        f0s: List[torch.Tensor] = []
        pers: List[torch.Tensor] = []
        held_f0 = torch.where(held > 0.0, held, torch.full_like(held, self.f0_min))
        offsets = torch.arange(self.lookback, device=full.device)
        for start in range(0, len(ends), self.chunk):
            group = ends[start:start + self.chunk]
            first = torch.tensor(group, dtype=torch.int64, device=full.device) - self.lookback
            index = (first.unsqueeze(1) + offsets.unsqueeze(0)).reshape(-1)
            win = torch.index_select(full, 1, index).reshape(b, len(group), self.lookback)
            f0, per, voiced, silent = self.analyse(win)
            for j in range(len(group)):  # silence holds the last voiced f0 (sequential)
                f0s.append(torch.where(silent[:, j], held_f0, f0[:, j]))
                pers.append(torch.where(silent[:, j], torch.zeros_like(per[:, j]), per[:, j]))
                held_f0 = torch.where(voiced[:, j], f0[:, j], held_f0)
        if len(f0s) == 0:
            empty = full.new_zeros(b, 0)
            return empty, empty, held
        return torch.stack(f0s, 1), torch.stack(pers, 1), held_f0

    def window_energy(self, full: torch.Tensor, ends: List[int]) -> torch.Tensor:
        """full [B, L + n] (history then block, sanitised); ends: exclusive window ends (index in
        full), each >= W → sum of squares of the W samples before each end, float64
        [B, len(ends)] (the frame's e above; the RAVE head's loudness,
        pitch_source.loudness_frames)."""
        b = full.shape[0]
        if len(ends) == 0:
            return full.new_zeros(b, 0)
        first = torch.tensor(ends, dtype=torch.int64, device=full.device) - self.window
        offsets = torch.arange(self.window, device=full.device)
        index = (first.unsqueeze(1) + offsets.unsqueeze(0)).reshape(-1)
        win = torch.index_select(full, 1, index).reshape(b, len(ends), self.window)
        return (win * win).sum(-1)

    @torch.jit.export
    def step_with_energy(self, x: torch.Tensor, history: torch.Tensor, held: torch.Tensor,
                         ends: List[int]
                         ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                                    torch.Tensor]:
        """step, and each frame's window energy (float64 [B, len(ends)]): f0, periodicity,
        energy, history', held'."""
        full = torch.cat([history, self.sanitise(x)], dim=1)
        ends_full = [e + self.lookback for e in ends]
        f0, per, held = self.frames(full, ends_full, held)
        energy = self.window_energy(full, ends_full)
        return (f0.to(torch.float32), per.to(torch.float32), energy,
                full[:, full.shape[1] - self.lookback:], held)

    @torch.jit.export
    def step(self, x: torch.Tensor, history: torch.Tensor, held: torch.Tensor, ends: List[int]
             ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [B, n] raw samples; ends: block-relative exclusive window ends (0..n) of the frames
        wanted, ascending → f0, periodicity [B, len(ends)] float32 (as yin.py outputs them),
        history', held'."""
        full = torch.cat([history, self.sanitise(x)], dim=1)
        f0, per, held = self.frames(full, [e + self.lookback for e in ends], held)
        return (f0.to(torch.float32), per.to(torch.float32),
                full[:, full.shape[1] - self.lookback:], held)


def torch_yin_track(audio, sample_rate: int, hop: int, f0_min: float, f0_max: float,
                    threshold: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Offline, for comparison with rt_synth.dsp.yin.yin_track: audio [T] → (f0, periodicity)
    [T // hop] float32, frame i analysing the window that ends at sample (i+1)*hop - 1."""
    x = torch.as_tensor(audio).reshape(1, -1)
    yin = TorchYin(sample_rate, f0_min, f0_max, threshold)
    history, held = yin.initial_state(1)
    ends = list(range(hop, x.shape[1] + 1, hop))
    f0, per, _, _ = yin.step(x, history, held, ends)
    return f0[0], per[0]
