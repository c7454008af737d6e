"""Resynthesise held-out phrases through the C++ core and score them (rt_synth.eval.resynthesis).

    python3 -m rt_synth.kinds.ddsp.heldout MODEL.rtsynth AUDIO_DIR [--json]

For each WAV: features exactly as `data prepare` computes them (YIN f0, A-weighted
loudness, causal frames), the core renders them as per-sample control streams, the model's
analysis delay (`feature_delay_samples`) is removed, and the result is scored against the
original with pYIN (f0) and an RMS curve (loudness).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def resynthesise(model, audio: np.ndarray, sample_rate: int, block: int = 256) -> np.ndarray:
    from rt_synth.dsp.loudness import a_weighted_loudness
    from rt_synth.dsp.yin import yin_track

    hop = model.hop
    f0, _ = yin_track(audio, sample_rate, hop)
    ld = a_weighted_loudness(audio, sample_rate, hop)
    f0_s = np.repeat(f0, hop).astype(np.float32)
    ld_s = np.repeat(ld, hop).astype(np.float32)
    out = np.zeros(len(f0_s), np.float32)
    model.prepare(sample_rate, block)
    model.reset(0)
    for s in range(0, len(f0_s), block):
        e = min(s + block, len(f0_s))
        model.process(f0_s[s:e], ld_s[s:e], out[s:e])
    delay = int(model.metadata.get("feature_delay_samples", 0))
    return out[delay:]


def evaluate(model_path: str, audio_dir: str) -> dict:
    from rt_synth.core import load_core
    from rt_synth.data.audio import read_mono, resample
    from rt_synth.eval.resynthesis import score

    core = load_core()
    model = core.load_model(model_path)
    sr = model.sample_rate
    rows = []
    for wav in sorted(Path(audio_dir).glob("*.wav")):
        audio, file_sr, _ = read_mono(wav)
        audio = resample(audio, file_sr, sr)
        resynth = resynthesise(model, audio, sr)
        s = score(audio, resynth, sr).to_dict()
        s["file"] = wav.name
        rows.append(s)
    f0 = [r["f0_median_cents"] for r in rows if np.isfinite(r["f0_median_cents"])]
    ld = [r["loudness_mean_abs_db"] for r in rows if np.isfinite(r["loudness_mean_abs_db"])]
    return {"model": model_path, "phrases": len(rows),
            "f0_median_cents": float(np.median(f0)) if f0 else float("nan"),
            "loudness_mean_abs_db": float(np.mean(ld)) if ld else float("nan"),
            "per_phrase": rows}


def report(r: dict) -> None:
    for row in r["per_phrase"]:
        print(f"{row['file']:24s} f0 {row['f0_median_cents']:6.1f} cents   "
              f"loudness {row['loudness_mean_abs_db']:5.2f} dB")
    print(f"{r['phrases']} phrases: median f0 error {r['f0_median_cents']:.1f} cents, "
          f"loudness-curve error {r['loudness_mean_abs_db']:.2f} dB")


def main(argv=None) -> int:
    from rt_synth.eval.heldout_cli import run

    return run(__doc__, evaluate, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
