"""Issue 13's timbre bar for any General MIDI instrument, with no model: how far another real
soundfont's rendering of unseen phrases is from the same performance on the training soundfont.

    python3 scripts/analysis/soundfont_bars.py "alto sax" oboe bassoon [--seconds 30] [--seed 9137]

For each instrument: the phrases `rt_synth.eval.timbre_distance` renders (same generator, same
seed), once from FluidR3_GM and once from MuseScore General, and their mel-cepstral distance
(rt_synth.eval.mel_cepstrum, frames pooled): the bar a model of that instrument is held to. A
bar far below the 36–72 dB that distinct instruments show means the two soundfonts share that
instrument's samples, so it measures nothing about a model (exports/README.md).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def bar(instrument: str, seconds: float, seed: int, sample_rate: int = 48000) -> dict:
    from rt_synth.data.audio import read_mono
    from rt_synth.data.render import render_dataset
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.timbre_distance import TRAINING_SOUNDFONT, find_other_soundfont

    other = find_other_soundfont(None)
    with tempfile.TemporaryDirectory(prefix="soundfont-bar-") as tmp:
        ref_dir, oth_dir = Path(tmp) / "training", Path(tmp) / "other"
        man = render_dataset(instrument, seconds, seed, ref_dir, soundfont=TRAINING_SOUNDFONT,
                             sample_rate=sample_rate, progress=False)
        render_dataset(instrument, seconds, seed, oth_dir, soundfont=str(other), sample_rate=sample_rate,
                       progress=False)
        total = frames = 0.0
        for entry in man["phrases"]:
            ref, _, _ = read_mono(ref_dir / entry["wav"])
            oth, _, _ = read_mono(oth_dir / entry["wav"])
            mcd, n = mel_cepstral_distance(ref, oth, sample_rate)
            total, frames = total + mcd * n, frames + n
    return {"instrument": man["instrument"], "program": man["program"], "phrases": len(man["phrases"]),
            "seconds": man["total_seconds"], "seed": seed, "other_soundfont": str(other),
            "mcd_db": total / max(frames, 1.0), "frames": int(frames)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("instruments", nargs="+", help="General MIDI names or program numbers")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=9137, help="phrase seed (default: timbre_distance's)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    rows = [bar(i, a.seconds, a.seed) for i in a.instruments]
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        print("| instrument | MuseScore General vs FluidR3 (MCD, dB) |\n|---|---|")
        for r in rows:
            print(f"| {r['instrument']} | {r['mcd_db']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
