#!/usr/bin/env python3
"""Where a RAVE-style model's timbre distance comes from, and how fast a pitch step reaches its
output (docs/rave.md §11, "Where the remaining distance comes from" and "Pitch step").

    python3 scripts/analysis/rave_diagnostics.py [RAVE_MODEL] [--ddsp violin-live-ddsp]

1. One MuseScore violin phrase (transfer_heldout's first violin phrase, 15 s, its seed) through
   the DDSP and the RAVE model (core streaming transfer), against the same MIDI on FluidR3's
   violin: mean log-mel difference per band (each signal normalised to its own peak), and the
   harmonic contrast (95th over 30th percentile of an 8 192-point STFT's power, median over
   loud frames) per 500 Hz band.
2. The RAVE model offline (PyTorch, from the .pt beside the .rtsynth) with the noise branch's
   noise and with zeros: MCD and 1-3 kHz contrast of each.
3. The 1-3 kHz envelope spectrum's level at the latent frame rate (SR / ratio).
4. A held A4 cut to E5 (FluidR3 violin): samples from the input's pitch switch to the
   output's (latency removed, the same tracker on both)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.signal as ss

ROOT = Path(__file__).resolve().parents[2]
SR = 48000


def contrast(y: np.ndarray, lo: float, hi: float) -> float:
    f, _, s = ss.stft(np.asarray(y, np.float64), fs=SR, nperseg=8192, noverlap=6144)
    p = np.abs(s) ** 2
    p = p[:, p.sum(0) > p.sum(0).max() * 1e-3]
    b = (f > lo) & (f < hi)
    return float(np.median(10 * np.log10(np.percentile(p[b], 95, 0) / np.percentile(p[b], 30, 0))))


def main(argv=None) -> int:
    import librosa
    import torch

    from rt_synth.core import load_core
    from rt_synth.eval.core_transfer import open_transfer, run_aligned
    from rt_synth.eval.heldout_sets import render_sets
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.transfer_heldout import DEFAULT_SEED, TRANSFER_BLOCK
    from rt_synth.model_locator import resolve_model
    from rt_synth.kinds.rave.model.model import RaveModel

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?", default="violin-rave")
    ap.add_argument("--ddsp", default="violin-live-ddsp")
    args = ap.parse_args(argv)
    rave, ddsp = resolve_model(args.model), resolve_model(args.ddsp)

    s = render_sets(["violin"], 15.0, [], 10.0, DEFAULT_SEED, None, None, SR)[0]
    x, ref = s.inputs[0], s.references[0]
    outs = {"reference": ref}
    for name, path in (("ddsp", ddsp), ("rave", rave)):
        outs[name] = run_aligned(open_transfer(path, SR, TRANSFER_BLOCK), x, TRANSFER_BLOCK)

    def logmel(y):
        m = librosa.feature.melspectrogram(y=np.asarray(y, np.float32), sr=SR, n_fft=2048, hop_length=240,
                                           n_mels=80, fmin=20, fmax=SR / 2)
        m = 10 * np.log10(m + 1e-8 * m.max())
        return m - m.max()
    freqs = librosa.mel_frequencies(80, fmin=20, fmax=SR / 2)
    r = logmel(ref)
    bands = list(range(250, 6000, 500))
    print("1. per mel band, model - reference (dB):  " + " ".join(f"{freqs[i]:.0f}Hz" for i in range(0, 80, 8)))
    for name in ("ddsp", "rave"):
        y = logmel(outs[name])
        n = min(r.shape[1], y.shape[1])
        loud = r[:, :n].max(0) > -40
        d = (y[:, :n] - r[:, :n])[:, loud].mean(1)
        print(f"   {name:9s} MCD {mel_cepstral_distance(ref, outs[name], SR)[0]:6.1f}   "
              + " ".join(f"{d[i]:+.1f}" for i in range(0, 80, 8)))
    print("   harmonic contrast (dB) per 500 Hz band from: " + " ".join(f"{lo}" for lo in bands))
    for name, y in outs.items():
        print(f"   {name:9s} " + " ".join(f"{contrast(y, lo, lo + 500):5.1f}" for lo in bands))

    model = RaveModel.from_payload(torch.load(rave.with_suffix(".pt"), map_location="cpu", weights_only=False)).eval()
    t = len(x) // model.config.ratio * model.config.ratio
    xa = torch.from_numpy(x[:t].astype(np.float32))[None, None] * model.input_gain
    m = model.config.n_bands
    print("2. offline, noise branch on / off:")
    with torch.no_grad():
        for name, noise in (("noise", torch.rand(1, m, t // m) * 2 - 1), ("zeros", torch.zeros(1, m, t // m))):
            y = (model.reconstruct(xa, noise)[0, 0] / model.input_gain).numpy()[model.config.latency:]
            n = min(len(y), len(ref))
            print(f"   {name:6s} MCD {mel_cepstral_distance(ref[:n], y[:n], SR)[0]:6.1f}, "
                  f"1-3 kHz contrast {contrast(y[:n], 1000, 3000):.1f} dB")

    frame_rate = SR / model.config.ratio
    sos = ss.butter(6, [1000, 3000], btype="band", fs=SR, output="sos")
    print(f"3. 1-3 kHz envelope at {frame_rate:.1f} Hz, over its 100-400 Hz median:")
    for name, y in outs.items():
        env = np.abs(ss.hilbert(ss.sosfilt(sos, np.asarray(y, np.float64))))
        env = env - ss.medfilt(env[::48], 21).repeat(48)[:len(env)]
        f, p = ss.welch(env, fs=SR, nperseg=2 ** 15)
        line = 10 * np.log10(p[(f > frame_rate - 6) & (f < frame_rate + 6)].max())
        print(f"   {name:9s} {line - np.median(10 * np.log10(p[(f > 100) & (f < 400)])):+.1f} dB")

    sys.path.insert(0, str(ROOT / "tests" / "shipped_models"))
    from test_violin_rave import _held_notes, _switch_sample, _transfer  # the test's own measurement

    core = load_core().RaveModel(str(rave))
    core.prepare(SR, 4096)
    a4, e5 = _held_notes((69, 76), seconds=0.8)
    xs = np.concatenate([a4[int(0.15 * SR):int(0.65 * SR)], e5[int(0.15 * SR):int(0.65 * SR)]]).astype(np.float32)
    cut = int(0.5 * SR)
    print(f"4. pitch step A4 -> E5: output switches {_switch_sample(_transfer(core, xs), cut) - _switch_sample(xs, cut)} "
          f"samples after the input (latency {core.latency} removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
