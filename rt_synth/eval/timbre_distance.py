"""Timbre distance of a DDSP model to its training instrument, next to another real instrument's.

    python3 -m rt_synth.eval.timbre_distance MODEL --instrument violin [--seconds 60] [--seed 9137]
        [--other-soundfont PATH] [--training-soundfont PATH] [--keep DIR] [--json]

Renders unseen phrases of the instrument (`rt-synth data render`'s generator, seed 9137: no
recipe uses it) twice from the same MIDI: with the training soundfont (FluidR3_GM: the
reference, "the same performance on the training instrument") and with a soundfont the project
never trains on (MuseScore General). Then, against the reference, phrase by phrase:

    other soundfont     its own rendering                    - the bar: another real instrument
    model (transfer)    the core's live TimbreTransfer of the other soundfont's rendering
                        (streaming YIN + loudness -> model; latency compensated)
    model (resynth)     the model driven offline by the other rendering's f0/loudness
                        (rt_synth.kinds.ddsp.heldout.resynthesise)
    model (training)    the same, from the reference itself (resynthesis of the training
                        instrument: what the model reaches with its own instrument's controls)

Each row: mel-cepstral distance (rt_synth.eval.mel_cepstrum, dB, frames pooled over phrases),
median f0 error (cents, pYIN, rt_synth.eval.resynthesis) and loudness-curve error (dB).
docs/timbre-distance.md defines every number.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError

DEFAULT_SEED = 9137
OTHER_SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
)
TRAINING_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
ROWS = ("other_soundfont", "model_transfer", "model_resynth", "model_training")


def find_other_soundfont(path: str | None) -> Path:
    if path:
        if not Path(path).is_file():
            raise UserError(f"--other-soundfont {path}: no such file")
        return Path(path)
    for c in OTHER_SOUNDFONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    raise UserError("no MuseScore General soundfont found (looked for "
                    f"{', '.join(OTHER_SOUNDFONT_CANDIDATES)}): run scripts/setup.sh (installs "
                    "musescore-general-soundfont) or pass --other-soundfont PATH")


def transfer(model_path: str, audio: np.ndarray, sample_rate: int, block: int = 256) -> np.ndarray:
    """The core's streaming TimbreTransfer of `audio`, its latency removed (same length)."""
    from rt_synth.eval.core_transfer import transfer_audio

    return transfer_audio(model_path, audio, sample_rate, block)


def _pool(rows: list[dict]) -> dict:
    """Frame-weighted MCD over phrases, median of per-phrase median f0 errors, mean loudness error."""
    from rt_synth.eval.pooling import pool_rows

    return pool_rows(rows)


def measure(model: str, instrument: str, seconds: float = 60.0, seed: int = DEFAULT_SEED,
            other_soundfont: str | None = None, training_soundfont: str | None = None,
            keep: str | None = None, f0_scores: bool = True) -> dict:
    from rt_synth.core import load_core
    from rt_synth.data.audio import read_mono
    from rt_synth.data.render import find_soundfont, render_dataset
    from rt_synth.kinds.ddsp.heldout import resynthesise
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.resynthesis import f0_error_from_tracks, loudness_error_db, pyin_track
    from rt_synth.model_locator import resolve_model

    model_path = str(resolve_model(model))
    other = find_other_soundfont(other_soundfont)
    training = find_soundfont(training_soundfont or (TRAINING_SOUNDFONT if Path(TRAINING_SOUNDFONT).is_file()
                                                     else None))
    core_model = load_core().load_model(model_path)
    sr = int(core_model.sample_rate)
    with tempfile.TemporaryDirectory(prefix="timbre-distance-") as tmp:
        root = Path(keep) if keep else Path(tmp)
        ref_dir, oth_dir = root / "training", root / "other"
        man = render_dataset(instrument, seconds, seed, ref_dir, soundfont=str(training), sample_rate=sr,
                             progress=False)
        render_dataset(instrument, seconds, seed, oth_dir, soundfont=str(other), sample_rate=sr, progress=False)
        per = {k: [] for k in ROWS}
        for entry in man["phrases"]:
            ref, _, _ = read_mono(ref_dir / entry["wav"])
            oth, _, _ = read_mono(oth_dir / entry["wav"])
            outputs = {"other_soundfont": oth,
                       "model_transfer": transfer(model_path, oth, sr),
                       "model_resynth": resynthesise(core_model, oth, sr),
                       "model_training": resynthesise(core_model, ref, sr)}
            if keep:
                import soundfile as sf
                for k, y in outputs.items():
                    if k.startswith("model"):
                        sf.write(root / f"{entry['name']}.{k}.wav", y, sr, subtype="FLOAT")
            ref_track = None  # the reference's pYIN track, computed once per phrase
            for k, y in outputs.items():
                mcd, frames = mel_cepstral_distance(ref, y, sr)
                row = {"phrase": entry["name"], "mcd_db": mcd, "mcd_frames": frames}
                if f0_scores:
                    n = min(len(ref), len(y))
                    if ref_track is None:
                        ref_track = pyin_track(ref[:n], sr)
                    row["f0_median_cents"] = f0_error_from_tracks(ref_track, pyin_track(y[:n], sr))[0]
                    row["loudness_mean_abs_db"] = loudness_error_db(ref[:n], y[:n])[0]
                per[k].append(row)
    return {"model": model_path, "instrument": man["instrument"], "program": man["program"], "seed": seed,
            "seconds": man["total_seconds"], "phrases": len(man["phrases"]), "sample_rate": sr,
            "training_soundfont_path": str(training), "other_soundfont_path": str(other),
            **{k: _pool(per[k]) for k in ROWS}, "per_phrase": per}


LABELS = {"other_soundfont": "other soundfont (the bar)", "model_transfer": "model, live transfer",
          "model_resynth": "model, offline resynthesis", "model_training": "model, training-instrument resynth"}


def report(r: dict) -> None:
    print(f"{Path(r['model']).name} vs {r['instrument']} from {Path(r['training_soundfont_path']).name}: "
          f"{r['phrases']} unseen phrases ({r['seconds']:.1f} s, seed {r['seed']}), other soundfont "
          f"{Path(r['other_soundfont_path']).name}")
    for k in ROWS:
        x = r[k]
        extra = (f"   f0 {x['f0_median_cents']:6.1f} cents   loudness {x['loudness_mean_abs_db']:5.2f} dB"
                 if "f0_median_cents" in x else "")
        print(f"  {LABELS[k]:36s} MCD {x['mcd_db']:6.2f} dB ({x['mcd_frames']} frames){extra}")
    verdict = "<=" if r["model_transfer"]["mcd_db"] <= r["other_soundfont"]["mcd_db"] else ">"
    print(f"  model transfer MCD {r['model_transfer']['mcd_db']:.2f} {verdict} other soundfont's "
          f"{r['other_soundfont']['mcd_db']:.2f} (ratio {r['model_transfer']['mcd_db'] / r['other_soundfont']['mcd_db']:.3f})")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="DDSP model file or name (e.g. violin-live-ddsp)")
    p.add_argument("--instrument", required=True, help="the model's instrument (General MIDI name or program)")
    p.add_argument("--seconds", type=float, default=60.0, help="unseen phrase audio to render (default 60)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"phrase seed (default {DEFAULT_SEED}: no recipe's)")
    p.add_argument("--other-soundfont", help="the soundfont the project does not train on (default MuseScore General)")
    p.add_argument("--training-soundfont", help="the training soundfont (default FluidR3_GM)")
    p.add_argument("--keep", help="keep the renderings and model outputs in this folder")
    p.add_argument("--no-f0", action="store_true", help="MCD only (skip pYIN: faster)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    try:
        r = measure(a.model, a.instrument, a.seconds, a.seed, a.other_soundfont, a.training_soundfont, a.keep,
                    f0_scores=not a.no_f0)
    except UserError as exc:
        print(f"timbre_distance: {exc}")
        return 2
    if a.json:
        print(json.dumps(r, indent=2))
    else:
        report(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
