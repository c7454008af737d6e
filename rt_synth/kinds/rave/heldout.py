"""Run a RAVE-style native model through the C++ core on audio it never saw and measure it.

    python3 -m rt_synth.kinds.rave.heldout MODEL.rtsynth AUDIO_DIR [--json]

Per WAV: the core's streaming forward (256-sample blocks), the reported latency L removed,
then scored against the original with the trackers of rt_synth.eval.resynthesis (pYIN f0
error in cents, RMS-curve loudness error in dB) and the full-band multi-scale spectral
distance of the trainer (both signals at the network's level, ×input_gain).
Latency: an onset test through the core — silence, then plucked harmonic tones at
110..880 Hz; output onset minus input onset (first 16-sample frame over -20 dB of its peak).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 48000  # rate of the test tones unless the model says otherwise
ONSET_F0S = (110.0, 220.0, 440.0, 880.0)


def forward(model, x: np.ndarray, block: int = 256) -> np.ndarray:
    model.reset()
    return np.concatenate([model.forward(x[i:i + block]) for i in range(0, len(x), block)])


def plucked_tone(f0: float, seconds: float = 1.0, silence: int = 24064,
                 sample_rate: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = 0.3 * np.exp(-3 * t) * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
    return np.concatenate([np.zeros(silence), tone]).astype(np.float32)


def onset_delays(model, f0s=ONSET_F0S, threshold_db: float = -20.0) -> list[int]:
    from rt_synth.kinds.rave.model.measure import onset_time

    out = []
    for f0 in f0s:
        x = plucked_tone(f0, sample_rate=model.sample_rate)
        y = forward(model, x)
        out.append(onset_time(y, threshold_db=threshold_db) - onset_time(x, threshold_db=threshold_db))
    return out


def spectral_distance(x: np.ndarray, y: np.ndarray, gain: float) -> float:
    import torch

    from rt_synth.dsp.spectral_loss import MultiScaleSpectralLoss
    from rt_synth.kinds.rave.trainer import FULL_BAND_FFTS

    loss = MultiScaleSpectralLoss(FULL_BAND_FFTS)
    with torch.no_grad():
        return float(loss(torch.from_numpy(y * gain)[None], torch.from_numpy(x * gain)[None]))


def evaluate(model_path: str, audio_dir: str) -> dict:
    from rt_synth.core import load_core
    from rt_synth.data.audio import read_mono, resample
    from rt_synth.eval.resynthesis import score

    model = load_core().RaveModel(str(model_path))
    sr = model.sample_rate
    model.prepare(sr, 4096)
    L, gain = model.latency, float(model.metadata["input_gain"])
    rows = []
    for wav in sorted(Path(audio_dir).rglob("*.wav")):
        audio, file_sr, _ = read_mono(wav)
        x = resample(audio, file_sr, sr).astype(np.float32)
        y = forward(model, x)[L:]
        x = x[:len(y)]
        s = score(x, y, sr).to_dict()
        s["spectral_distance"] = spectral_distance(x, y, gain)
        s["file"] = str(wav.relative_to(audio_dir))
        rows.append(s)

    def med(key):
        v = [r[key] for r in rows if np.isfinite(r[key])]
        return float(np.median(v)) if v else float("nan")

    delays = onset_delays(model)
    return {"model": str(model_path), "latency_samples": L, "onset_delays": delays,
            "onset_delay_median": float(np.median(delays)), "clips": len(rows),
            "f0_median_cents": med("f0_median_cents"),
            "loudness_mean_abs_db": med("loudness_mean_abs_db"),
            "spectral_distance": med("spectral_distance"), "per_clip": rows}


def report(r: dict) -> None:
    for row in r["per_clip"]:
        print(f"{row['file']:36s} f0 {row['f0_median_cents']:7.1f} cents  loudness "
              f"{row['loudness_mean_abs_db']:5.2f} dB  spectral {row['spectral_distance']:6.2f}")
    print(f"{r['clips']} clips (medians): f0 error {r['f0_median_cents']:.1f} cents, loudness-curve "
          f"error {r['loudness_mean_abs_db']:.2f} dB, spectral distance {r['spectral_distance']:.2f}")
    print(f"latency: reported {r['latency_samples']} samples, onset test {r['onset_delays']} "
          f"(median {r['onset_delay_median']:.0f})")


def main(argv=None) -> int:
    from rt_synth.eval.heldout_cli import run

    return run(__doc__, evaluate, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
