"""Error-to-signal ratio of an effect model on pairs it never saw.

    python3 -m rt_synth.kinds.effect.heldout RUN_OR_CHECKPOINT_OR_RTSYNTH PAIRS [--json] [--esr-only]

A native .rtsynth file runs in the C++ core (as users play it); a run or checkpoint in PyTorch.

Both splits of PAIRS (render them with another seed than the training pairs: `rt-synth data
pairs render --seed 2 ...`), each run from silence over the whole signal as a stream runs it.
Figures: ESR (plain, as Wright et al. report it), ESR with pre-emphasis REPORT_PRE_EMPHASIS
(fixed, so that a checkpoint and its .rtsynth report the same figure whatever the training
loss used), and the error in dB below the target (10·log10 ESR); then, by trackers independent of
the model, the f0 error (pYIN, cents), the loudness error (dB) and the mel-cepstral distance (dB)
of its output to the device's (--esr-only skips these: pYIN takes minutes)."""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

REPORT_PRE_EMPHASIS = 0.95


def _perceptual(reference: np.ndarray, pred: np.ndarray, sr: int) -> dict:
    """What a listener would notice, by trackers independent of the model: f0 error (cents,
    pYIN) and loudness error (dB) where the reference is voiced/loud, and the mel-cepstral
    distance (dB) of the model's output to the device's."""
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.resynthesis import score

    s = score(reference.astype(np.float32), pred.astype(np.float32), sr)
    mcd, _ = mel_cepstral_distance(reference, pred, sr)
    return {"f0_error_cents": s.f0_median_cents, "loudness_error_db": s.loudness_mean_abs_db, "mcd_db": mcd}


def _core_knob_runs(core, pairs: str, split: str, n: int) -> list:
    """[(start, length, {knob: value})]: the split's knob settings for a core model with knobs
    (as the device was set for each part of the recording), or one run without settings."""
    from rt_synth.data.pairs import load_pair_knobs
    from rt_synth.errors import UserError

    names = [k["name"] for k in core.knobs]
    got = load_pair_knobs(pairs, split)
    if not names:
        return [(0, n, {})]
    if got is None:
        raise UserError(f"the model has knobs ({', '.join(names)}) but the pairs {pairs} have none")
    table, runs = got
    if [k["name"] for k in table] != names:
        raise UserError(f"the pairs {pairs} have knobs {[k['name'] for k in table]}, the model {names}")
    return [(r["start"], r["length"], dict(zip(names, r["values"]))) for r in runs]


def _run_core(core, x: np.ndarray, runs: list, block: int = 512) -> np.ndarray:
    """The core over x from silence, each run's knob values set before its first block (a knob
    applies from the next process() call)."""
    core.reset()
    out = []
    for start, length, values in runs:
        for name, v in values.items():
            core.set_knob(name, v)
        seg = x[start:start + length]
        out += [core.process(seg[i:i + block]) for i in range(0, len(seg), block)]
    return np.concatenate(out)


def evaluate(model_path: str, pairs: str, perceptual: bool = True) -> dict:
    import torch

    from rt_synth.data.pairs import load_pairs
    from rt_synth.kinds.effect.loss import esr, pre_emphasis
    from rt_synth.kinds.effect.model.model import EffectModel
    from rt_synth.kinds.effect.trainer import run_whole
    from rt_synth.train.checkpoint import load_model_payload

    core = None
    if str(model_path).endswith(".rtsynth"):
        from rt_synth.core import load_core

        try:
            core = load_core().EffectModel(str(model_path))
        except ValueError as exc:
            from rt_synth.errors import UserError

            raise UserError(str(exc)) from exc
        cfg_rate, n_params, arch = core.sample_rate, None, core.arch
    else:
        model = EffectModel.from_payload(load_model_payload(model_path)).eval()
        cfg_rate = model.config.sample_rate
        n_params, arch = model.n_parameters, model.config.arch
    rows, num, den = {}, 0.0, 0.0
    for split in ("train", "valid"):
        x, y, sr = load_pairs(pairs, split)
        if sr != cfg_rate:
            from rt_synth.errors import UserError

            raise UserError(f"{pairs} is at {sr} Hz, the model at {cfg_rate} Hz")
        if core is not None:
            pred = _run_core(core, x, _core_knob_runs(core, pairs, split, len(x)))
        else:
            from rt_synth.kinds.effect.trainer import knob_runs, knob_track

            pred = run_whole(model, x, knobs=knob_track(knob_runs(model.config, pairs, split, len(x)), len(x)))
        t, p = torch.from_numpy(y), torch.from_numpy(pred)
        e = float(esr(t, p))
        a = REPORT_PRE_EMPHASIS
        rows[split] = {"seconds": len(x) / sr, "esr": e, **(_perceptual(y, pred, sr) if perceptual else {}),
                       "esr_pre_emphasis": float(esr(pre_emphasis(t, a), pre_emphasis(p, a))),
                       "error_db": float(10 * np.log10(max(e, 1e-20))),
                       "peak": float(np.max(np.abs(pred)))}
        num += float(np.sum((y.astype(np.float64) - pred) ** 2))
        den += float(np.sum(y.astype(np.float64) ** 2))
    pooled = num / max(den, 1e-20)
    return {"model": str(model_path), "pairs": str(pairs), "splits": rows, "esr": pooled,
            "error_db": float(10 * np.log10(max(pooled, 1e-20))),
            "parameters": n_params, "arch": arch, "runtime": "core" if core is not None else "pytorch"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m rt_synth.kinds.effect.heldout")
    ap.add_argument("model", help="run folder, checkpoint or native .rtsynth of an effect model")
    ap.add_argument("pairs", help="pairs folder the model never saw")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--esr-only", action="store_true", help="skip the pYIN/loudness/MCD figures (minutes)")
    args = ap.parse_args(argv)
    from rt_synth.errors import UserError

    try:
        r = evaluate(args.model, args.pairs, perceptual=not args.esr_only)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"{r['model']} ({r['arch']}, {r['runtime']}) on {r['pairs']}")
    for split, row in r["splits"].items():
        perc = (f"  f0 {row['f0_error_cents']:.1f} cents  loudness {row['loudness_error_db']:.2f} dB  "
                f"MCD {row['mcd_db']:.2f} dB" if "mcd_db" in row else "")
        print(f"  {split:6s} {row['seconds']:7.1f} s  ESR {row['esr']:.5f} ({row['error_db']:.1f} dB){perc}"
              f"  pre-emphasised {row['esr_pre_emphasis']:.5f}  peak {row['peak']:.3f}")
    print(f"  pooled ESR {r['esr']:.5f} ({r['error_db']:.1f} dB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
