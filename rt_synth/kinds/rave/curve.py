"""Learning curve of a RAVE-style training run: f0 error and timbre distance against step.

    python3 -m rt_synth.kinds.rave.curve CHECKPOINT_DIR [--out curve.png] [--json]
        [--seconds 20] [--instruments violin,flute] [--ddsp violin-live-ddsp] [--seed 9137]

Every *.pt in CHECKPOINT_DIR (rt-synth's TrainingRun checkpoints: RUN/checkpoints/step_N.pt,
last.pt, RUN/model.pt; one per step) is loaded as a RaveModel (RaveModel.from_payload) and
runs OFFLINE in PyTorch (RaveModel.reconstruct: the numpy causal YIN feeds a pitched model's
pitch source, as the core's streaming YIN does) on a small held-out set: `--seconds` of
unseen phrases per instrument from MuseScore General, each with its reference, the same MIDI
on FluidR3_GM's violin (rt_synth.eval.heldout_sets, as rt_synth.eval.transfer_heldout). The
model's latency (config.latency) is removed. Per checkpoint and set, pooled as in
transfer_heldout: pYIN f0 error against the input (cents) and the share of the input's voiced
frames voiced in the output, loudness-curve error against the
input (dB), mel-cepstral distance to the reference (dB). With --ddsp MODEL (default
violin-live-ddsp when it is found; '' for none) that model's core transfer of the same set is
scored once and drawn as the bar, with its MCD x 1.3 (issue 14's limit).

The PNG has two panels against step: f0 error (log scale) and MCD, one line per set and the
pooled figure.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError

CURVE_SETS = ("violin", "flute")
DDSP_DEFAULT = "violin-live-ddsp"
MCD_LIMIT = 1.3


def checkpoint_step(path: Path) -> int:
    m = re.search(r"step_(\d+)", path.name)
    if m:
        return int(m.group(1))
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise UserError(f"{path}: not a readable checkpoint ({exc})") from exc
    step = obj.get("step") if isinstance(obj, dict) else None
    if step is None and isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        step = obj["model"].get("step")
    if step is None:
        raise UserError(f"{path}: no step in its name (step_N.pt) or in the checkpoint")
    return int(step)


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint in the folder, one per step (a step_N.pt before a
    last.pt/model.pt of the same step), sorted by step."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder (give a folder of .pt checkpoints, e.g. RUN/checkpoints)")
    found = {}
    for p in sorted(folder.glob("*.pt"), key=lambda p: (not p.name.startswith("step_"), p.name)):
        try:
            step = checkpoint_step(p)
        except UserError:  # an unnamed file that is no checkpoint: not a point of the curve
            continue
        found.setdefault(step, p)
    if not found:
        raise UserError(f"{folder}: no *.pt checkpoints")
    return sorted(found.items())


def load_rave(path: Path):
    from rt_synth.kinds.rave.model.model import RaveModel
    from rt_synth.train.checkpoint import load_model_payload

    payload = load_model_payload(path)
    if payload.get("kind") != "rave":
        raise UserError(f"{path}: a {payload.get('kind')!r} checkpoint, not a RAVE-style one")
    model = RaveModel.from_payload(payload)
    model.eval()
    return model


def reconstruct_aligned(model, audio: np.ndarray) -> np.ndarray:
    """RaveModel.reconstruct of audio, its latency removed (same length as audio): audio padded
    with zeros to at least len + latency (a whole number of latent frames), the first
    `latency` output samples dropped. The noise branch's noise is seeded (torch seed 0, the
    caller's RNG state untouched)."""
    import torch

    lat = int(model.config.latency)
    r = int(model.config.ratio)
    n = len(audio) + lat
    n = -(-n // r) * r
    x = np.zeros(n, np.float32)
    x[:len(audio)] = audio
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(0)  # the noise branch: the same noise for every checkpoint and run
        y = model.reconstruct(torch.from_numpy(x)[None, None])[0, 0].numpy()
    return y[lat:lat + len(audio)]


def score_sets(run, sets, tracks: dict, sr: int) -> dict:
    """run(audio) -> aligned output; every pitched set scored as transfer_heldout does."""
    from rt_synth.eval.pooling import pool_rows
    from rt_synth.eval.transfer_heldout import _pitched_scores

    out, everything = {}, []
    for s in sets:
        rows = [_pitched_scores(x, run(x), ref, tracks[s.name, k], sr)
                for k, (x, ref) in enumerate(zip(s.inputs, s.references))]
        out[s.name] = pool_rows(rows)
        everything += rows
    out["pooled"] = pool_rows(everything)
    return out


def curve(folder: str, seconds: float = 20.0, instruments=CURVE_SETS, ddsp: str | None = DDSP_DEFAULT,
          seed: int | None = None, progress=print) -> dict:
    from rt_synth.eval.heldout_sets import DEFAULT_SEED, render_sets
    from rt_synth.eval.transfer_heldout import SAMPLE_RATE, baselines

    checkpoints = list_checkpoints(folder)
    sr = SAMPLE_RATE
    t0 = time.perf_counter()
    sets = render_sets(instruments, seconds, probes=(), seed=DEFAULT_SEED if seed is None else seed,
                       sample_rate=sr)
    tracks, _ = baselines(sets, sr)
    progress(f"held-out set: {', '.join(s.name for s in sets)}, {sum(s.seconds for s in sets) / sr:.0f} s, "
             f"rendered and tracked in {time.perf_counter() - t0:.1f} s")
    bar = None
    if ddsp:
        from rt_synth.eval.core_transfer import open_transfer, run_aligned
        from rt_synth.model_locator import resolve_model

        try:
            path = resolve_model(ddsp)
        except UserError:
            if ddsp != DDSP_DEFAULT:
                raise
            path = None
        if path is not None:
            t1 = time.perf_counter()
            tr = open_transfer(path, sr)
            bar = {"model": path.stem, "scores": score_sets(lambda x: run_aligned(tr, x), sets, tracks, sr)}
            progress(f"{path.stem} (core transfer, the bar): MCD {bar['scores']['pooled']['mcd_db']:.2f} "
                     f"({time.perf_counter() - t1:.1f} s)")
    points = []
    for step, path in checkpoints:
        t1 = time.perf_counter()
        try:
            model = load_rave(path)
        except UserError as exc:  # e.g. a file still being copied into the folder
            progress(f"step {step:7d}: skipped ({exc})")
            continue
        scores = score_sets(lambda x: reconstruct_aligned(model, x), sets, tracks, sr)
        points.append({"step": step, "checkpoint": str(path), "pitch_source": bool(model.config.pitch_source),
                       "seconds": time.perf_counter() - t1, "scores": scores})
        p = scores["pooled"]
        progress(f"step {step:7d}: f0 {p['f0_median_cents']:7.1f} cents, loudness {p['loudness_mean_abs_db']:5.2f} dB, "
                 f"MCD {p['mcd_db']:6.2f} ({points[-1]['seconds']:.1f} s)")
    return {"folder": str(folder), "sets": [s.name for s in sets], "seconds_per_set": seconds,
            "sample_rate": sr, "bar": bar, "points": points, "total_s": time.perf_counter() - t0}


def report(r: dict) -> None:
    names = r["sets"] + ["pooled"]
    print(f"learning curve of {r['folder']}: offline reconstruction of {', '.join(r['sets'])} "
          f"({r['seconds_per_set']:.0f} s each; MCD to the same MIDI on FluidR3_GM violin)")
    head = f"{'step':>8s}" + "".join(f"{n + ' f0':>14s}{'MCD':>8s}" for n in names) + f"{'voiced':>7s}{'loud dB':>9s}"
    print(head)
    rows = ([("bar: " + r["bar"]["model"], r["bar"]["scores"])] if r["bar"] else []) + \
        [(str(p["step"]), p["scores"]) for p in r["points"]]
    for label, sc in rows:
        print(f"{label:>8s}" + "".join(f"{sc[n]['f0_median_cents']:14.1f}{sc[n]['mcd_db']:8.2f}" for n in names)
              + f"{sc['pooled']['f0_voiced_share']:7.2f}{sc['pooled']['loudness_mean_abs_db']:9.2f}")
    print(f"total {r['total_s']:.1f} s")


def plot(r: dict, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [p["step"] for p in r["points"]]
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4.2))
    for n in r["sets"] + ["pooled"]:
        style = dict(lw=2.2, color="k") if n == "pooled" else dict(lw=1.2)
        a0.plot(steps, [max(p["scores"][n]["f0_median_cents"], 1.0) for p in r["points"]], "o-", label=n, **style)
        a1.plot(steps, [p["scores"][n]["mcd_db"] for p in r["points"]], "o-", label=n, **style)
    a0.axhline(25.0, color="g", ls="--", lw=1, label="25 cents (issue 14)")
    if r["bar"]:
        m = r["bar"]["scores"]["pooled"]["mcd_db"]
        a1.axhline(m, color="tab:gray", ls=":", lw=1.2, label=f"{r['bar']['model']} {m:.1f}")
        a1.axhline(MCD_LIMIT * m, color="g", ls="--", lw=1, label=f"{MCD_LIMIT}x = {MCD_LIMIT * m:.1f}")
    a0.set_yscale("log")
    a0.set_title("median f0 error vs input (pYIN, cents; 0 drawn at 1)")
    a1.set_title("mel-cepstral distance to the training violin (dB)")
    for a in (a0, a1):
        a.set_xlabel("training step")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(f"{r['folder']}: offline reconstruction of held-out phrases")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", metavar="CHECKPOINT_DIR", help="folder of *.pt checkpoints (e.g. RUN/checkpoints)")
    p.add_argument("--out", help="write the curve as a PNG here")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.add_argument("--seconds", type=float, default=20.0, help="phrase audio per set (default 20)")
    p.add_argument("--instruments", default=",".join(CURVE_SETS), help=f"sets (default {','.join(CURVE_SETS)})")
    p.add_argument("--ddsp", default=DDSP_DEFAULT, help=f"the bar: a DDSP model through the core (default "
                                                        f"{DDSP_DEFAULT} when found; '' for none)")
    p.add_argument("--seed", type=int, help="phrase seed (default 9137)")
    a = p.parse_args(argv)
    try:
        r = curve(a.folder, a.seconds, [t.strip() for t in a.instruments.split(",") if t.strip()], a.ddsp or None,
                  a.seed, progress=(lambda *_: None) if a.json else (lambda msg: print(msg, flush=True)))
    except UserError as exc:
        print(f"rave_curve: {exc}")
        return 2
    if a.out:
        plot(r, a.out)
    if a.json:
        print(json.dumps(r, indent=2))
    else:
        report(r)
        if a.out:
            print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
