"""Timbre transfer of held-out performances through the core, for DDSP and RAVE-style models
side by side (issue 14's "done when"; docs/rave-heldout.md).

    python3 -m rt_synth.eval.transfer_heldout MODEL [MODEL ...] [--seconds 60]
        [--instruments violin,flute,clarinet,trumpet] [--probes drums,noise,chord]
        [--probe-seconds 20] [--seed 9137] [--block 512] [--input-soundfont PATH]
        [--training-soundfont PATH] [--keep DIR] [--json]

Renders the held-out sets once (rt_synth.eval.heldout_sets: each instrument's unseen phrases
from MuseScore General, and the same MIDI on FluidR3_GM's violin as the reference; a GM drum
loop, noise bursts, two-note violin chords), then plays every input through each MODEL's
streaming transfer in the core, exactly as `rt-synth transfer` does (rt_synth.eval.
core_transfer: kind ddsp -> TimbreTransfer, kind rave -> RaveEngine; latency removed).

Pitched sets, per phrase, then pooled per set and over all sets (rt_synth.eval.pooling):
    f0        median |cents| between pYIN of the input and of the output (voiced in both)
    voiced    share of the input's voiced frames that are voiced in the output too (the f0
              error is measured on these: a model that rarely sounds pitched scores few)
    loud      loudness-curve error (mean |dB| of RMS curves) of the output against the input
    loud/ref  the same against the reference (the training violin's level for this MIDI)
    MCD       mel-cepstral distance of the output to the reference
    xDDSP     the model's MCD over the first DDSP model's MCD on the same set
Two fixed rows give the scale: the input itself (MCD = how far the unseen instrument is from
the training violin) and the reference (f0 and loudness of the training violin against the
input: what a perfect violin rendition of the MIDI scores).
Probe sets (no single f0), per model: rt_synth.eval.reconstruction against the input (peak,
envelope correlation and dB error, MSS, MCD), and for the chords the MCD to the training violin.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.eval.core_transfer import TRANSFER_BLOCK
from rt_synth.eval.heldout_sets import DEFAULT_SEED, PITCHED, PROBES

SAMPLE_RATE = 48000  # the rate everything is rendered at (the core resamples for other models)
DONE_WHEN = {"f0_median_cents": 25.0, "loudness_mean_abs_db": 2.5, "mcd_ratio": 1.3}  # issue 14


def _f0_scores(x_track, y_track) -> dict:
    from rt_synth.eval.resynthesis import f0_error_from_tracks

    f0_err, both = f0_error_from_tracks(x_track, y_track)
    return {"f0_median_cents": f0_err, "f0_voiced_share": both / max(1, int(np.sum(x_track[1])))}


def _pitched_scores(x, y, ref, x_track, sr) -> dict:
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.resynthesis import loudness_error_db, pyin_track

    mcd, frames = mel_cepstral_distance(ref, y, sr)
    return {**_f0_scores(x_track, pyin_track(y, sr)),
            "loudness_mean_abs_db": loudness_error_db(x, y)[0],
            "loudness_ref_mean_abs_db": loudness_error_db(ref, y)[0],
            "mcd_db": mcd, "mcd_frames": frames}


def baselines(sets, sr: int) -> tuple[dict, dict]:
    """pYIN tracks of every pitched input {(set, k): track} and the fixed rows per set:
    {set: {"input": [rows], "reference": [rows]}} (pitched sets; probe sets with a
    reference get the input's MCD to it)."""
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.resynthesis import loudness_error_db, pyin_track

    tracks, rows = {}, {}
    for s in sets:
        rows[s.name] = {"input": [], "reference": []}
        for k, (x, ref) in enumerate(zip(s.inputs, s.references)):
            if ref is None:
                continue
            mcd, frames = mel_cepstral_distance(ref, x, sr)
            inp = {"mcd_db": mcd, "mcd_frames": frames}
            if s.pitched:
                tracks[s.name, k] = pyin_track(x, sr)
                inp["loudness_ref_mean_abs_db"] = loudness_error_db(ref, x)[0]
                rows[s.name]["reference"].append({**_f0_scores(tracks[s.name, k], pyin_track(ref, sr)),
                                                  "loudness_mean_abs_db": loudness_error_db(x, ref)[0]})
            rows[s.name]["input"].append(inp)
    return tracks, rows


def score_model(transfer, sets, tracks: dict, sr: int, block: int = TRANSFER_BLOCK,
                keep: Path | None = None) -> dict:
    """Every input of `sets` through `transfer` (a core_transfer.StreamingTransfer, or anything
    with its fields), scored. Returns {set: {"phrases": [rows], "pooled": {...}}, "_timing": ...}."""
    from rt_synth.eval.core_transfer import run_aligned
    from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
    from rt_synth.eval.pooling import pool_rows
    from rt_synth.eval.reconstruction import reconstruction_scores

    out, run_s, score_s, audio_s = {}, 0.0, 0.0, 0.0
    for s in sets:
        rows = []
        for k, (name, x, ref) in enumerate(zip(s.names, s.inputs, s.references)):
            t0 = time.perf_counter()
            y = run_aligned(transfer, x, block)
            t1 = time.perf_counter()
            if s.pitched:
                row = _pitched_scores(x, y, ref, tracks[s.name, k], sr)
            else:
                row = reconstruction_scores(x, y, sr)
                if ref is not None:
                    row["mcd_to_reference_db"], _ = mel_cepstral_distance(ref, y, sr)
            row["phrase"] = name
            rows.append(row)
            score_s += time.perf_counter() - t1
            run_s += t1 - t0
            audio_s += len(x) / sr
            if keep is not None:
                import soundfile as sf

                (keep / s.name).mkdir(parents=True, exist_ok=True)
                sf.write(keep / s.name / f"{name}.wav", y, sr, subtype="FLOAT")
        out[s.name] = {"phrases": rows, "pooled": pool_rows(rows) if s.pitched else rows[0] if len(rows) == 1
                       else {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "phrase"}}
    pitched = [r for s in sets if s.pitched for r in out[s.name]["phrases"]]
    if pitched:
        out["pooled"] = {"pooled": pool_rows(pitched)}
    out["_timing"] = {"transfer_s": run_s, "score_s": score_s, "audio_s": audio_s,
                      "rtf": run_s / audio_s if audio_s else float("nan")}
    return out


def evaluate(models: list[str], seconds: float = 60.0, instruments=PITCHED, probes=PROBES,
             probe_seconds: float = 20.0, seed: int = DEFAULT_SEED, block: int = TRANSFER_BLOCK,
             input_soundfont: str | None = None, training_soundfont: str | None = None,
             keep: str | None = None, progress=print) -> dict:
    from rt_synth.eval.core_transfer import open_transfer
    from rt_synth.eval.heldout_sets import render_sets
    from rt_synth.eval.pooling import pool_rows
    from rt_synth.model_locator import resolve_model

    t_start = time.perf_counter()
    paths = [resolve_model(m) for m in models]
    sr = SAMPLE_RATE
    t0 = time.perf_counter()
    sets = render_sets(instruments, seconds, probes, probe_seconds, seed, input_soundfont, training_soundfont, sr)
    timing = {"render_s": time.perf_counter() - t0}
    progress(f"rendered {len(sets)} sets ({sum(s.seconds for s in sets) / sr:.1f} s of input) in "
             f"{timing['render_s']:.1f} s")
    keep_dir = Path(keep) if keep else None
    if keep_dir:
        for s in sets:
            s.write(keep_dir / "sets" / s.name, sr)
    t0 = time.perf_counter()
    tracks, fixed = baselines(sets, sr)
    timing["baselines_s"] = time.perf_counter() - t0
    progress(f"pYIN of the inputs and the fixed rows in {timing['baselines_s']:.1f} s")
    results = []
    for path in paths:
        t0 = time.perf_counter()
        tr = open_transfer(path, sr, block)
        r = score_model(tr, sets, tracks, sr, block, keep_dir / path.stem if keep_dir else None)
        r["_timing"]["total_s"] = time.perf_counter() - t0
        results.append({"model": str(path), "name": path.stem, "kind": tr.kind, "latency": tr.latency,
                        "timing": r.pop("_timing"), "sets": r})
        progress(f"{path.stem} [{tr.kind}]: {r_time(results[-1]['timing'])}")
    first_ddsp = next((m for m in results if m["kind"] == "ddsp"), None)
    for m in results:
        for name, v in m["sets"].items():
            p = v["pooled"]
            if first_ddsp is not None and "mcd_db" in p and "f0_median_cents" in p:
                p["mcd_ratio"] = p["mcd_db"] / first_ddsp["sets"][name]["pooled"]["mcd_db"]
    fixed_pooled = {name: {row: pool_rows(v[row]) for row in v if v[row]} for name, v in fixed.items()}
    pitched_names = [s.name for s in sets if s.pitched]
    if pitched_names:
        fixed_pooled["pooled"] = {row: pool_rows([r for n in pitched_names for r in fixed[n][row]])
                                  for row in ("input", "reference")}
    timing["total_s"] = time.perf_counter() - t_start
    return {"sample_rate": sr, "seed": seed, "block": block, "seconds_per_set": seconds,
            "probe_seconds": probe_seconds,
            "sets": [{"name": s.name, "pitched": s.pitched, "phrases": len(s.inputs),
                      "seconds": s.seconds / sr} for s in sets],
            "fixed_rows": fixed_pooled, "fixed_rows_per_phrase": fixed,
            "first_ddsp": first_ddsp["name"] if first_ddsp else None,
            "models": results, "timing": timing}


def r_time(t: dict) -> str:
    return (f"transfer {t['transfer_s']:.1f} s for {t['audio_s']:.0f} s of audio (RTF {t['rtf']:.3f}), "
            f"scoring {t['score_s']:.1f} s")


def _fmt(v, spec: str, width: int) -> str:
    return f"{v:{width}{spec}}" if v is not None and np.isfinite(v) else f"{'-':>{width}}"


def report(r: dict) -> None:
    models = r["models"]
    pitched = [s["name"] for s in r["sets"] if s["pitched"]] + (["pooled"] if any(s["pitched"] for s in r["sets"]) else [])
    head = f"  {'':34s}{'f0 cents':>9s}{'voiced':>7s}{'loud dB':>9s}{'loud/ref':>9s}{'MCD dB':>8s}{'xDDSP':>7s}{'frames':>8s}"
    for name in pitched:
        info = next((s for s in r["sets"] if s["name"] == name), None)
        title = (f"{name}: {info['phrases']} phrases, {info['seconds']:.1f} s (input MuseScore General {name}; "
                 f"reference: the same MIDI on FluidR3_GM violin)" if info else
                 "pooled over " + ", ".join(pitched[:-1]))
        print(title)
        print(head)
        fixed = r["fixed_rows"].get(name, {})
        inp, ref = fixed.get("input", {}), fixed.get("reference", {})
        print(f"  {'input itself (the bar)':34s}{'-':>9s}{'-':>7s}{'-':>9s}{_fmt(inp.get('loudness_ref_mean_abs_db'), '.2f', 9)}"
              f"{_fmt(inp.get('mcd_db'), '.2f', 8)}{'':7s}{inp.get('mcd_frames', 0):8d}")
        print(f"  {'reference (training violin)':34s}{_fmt(ref.get('f0_median_cents'), '.1f', 9)}"
              f"{_fmt(ref.get('f0_voiced_share'), '.2f', 7)}"
              f"{_fmt(ref.get('loudness_mean_abs_db'), '.2f', 9)}{'-':>9s}{'0':>8s}")
        for m in models:
            p = m["sets"][name]["pooled"]
            print(f"  {m['name'] + ' [' + m['kind'] + ']':34s}{_fmt(p['f0_median_cents'], '.1f', 9)}"
                  f"{_fmt(p['f0_voiced_share'], '.2f', 7)}"
                  f"{_fmt(p['loudness_mean_abs_db'], '.2f', 9)}{_fmt(p['loudness_ref_mean_abs_db'], '.2f', 9)}"
                  f"{_fmt(p['mcd_db'], '.2f', 8)}{_fmt(p.get('mcd_ratio'), '.3f', 7)}{p['mcd_frames']:8d}")
        print()
    probes = [s["name"] for s in r["sets"] if not s["pitched"]]
    if probes:
        print("probe sets: output against the input (reconstruction), latency removed")
        print(f"  {'set':7s}{'model':28s}{'peak':>7s}{'(input)':>8s}{'env corr':>9s}{'env dB':>8s}{'MSS':>8s}"
              f"{'MCD':>8s}{'MCD->violin':>12s}")
        for name in probes:
            bar = r["fixed_rows"].get(name, {}).get("input")
            if bar:
                print(f"  {name:7s}{'input itself':28s}{'':7s}{'':8s}{'':9s}{'':8s}{'':8s}{'':8s}"
                      f"{_fmt(bar['mcd_db'], '.2f', 12)}")
            for m in models:
                p = m["sets"][name]["pooled"]
                print(f"  {name:7s}{m['name'] + ' [' + m['kind'] + ']':28s}{p['peak']:7.3f}{p['input_peak']:8.3f}"
                      f"{_fmt(p['envelope_corr'], '.3f', 9)}{_fmt(p['envelope_db_error'], '.2f', 8)}"
                      f"{_fmt(p['mss'], '.2f', 8)}{_fmt(p['mcd_db'], '.2f', 8)}"
                      f"{_fmt(p.get('mcd_to_reference_db'), '.2f', 12)}"
                      f"{'' if p.get('finite', True) else '  NON-FINITE OUTPUT'}")
        print()
    if r["first_ddsp"] and "pooled" in pitched:
        for m in models:
            if m["kind"] == "ddsp" and m["name"] == r["first_ddsp"]:
                continue
            p = m["sets"]["pooled"]["pooled"]
            checks = [(key, p.get(key), limit) for key, limit in DONE_WHEN.items()]
            text = ", ".join(f"{label} {_fmt(v, spec, 0).strip()} {'<=' if v is not None and v <= lim else '>'} {lim}"
                             for (k, v, lim), label, spec in zip(checks, ("f0 cents", "loudness dB", "MCD ratio"),
                                                                 (".1f", ".2f", ".3f")))
            ok = all(v is not None and np.isfinite(v) and v <= lim for _, v, lim in checks)
            print(f"issue 14 done-when, {m['name']} (pooled, MCD against {r['first_ddsp']}): {text}: "
                  f"{'PASS' if ok else 'FAIL'}")
    t = r["timing"]
    print(f"timing: render {t['render_s']:.1f} s, pYIN of inputs {t['baselines_s']:.1f} s, "
          + ", ".join(f"{m['name']} {m['timing']['total_s']:.1f} s (RTF {m['timing']['rtf']:.3f})" for m in models)
          + f"; total {t['total_s']:.1f} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", metavar="MODEL", help="native model files or names (rt-synth models)")
    p.add_argument("--seconds", type=float, default=60.0, help="phrase audio per pitched set (default 60)")
    p.add_argument("--instruments", default=",".join(PITCHED), help=f"pitched sets (default {','.join(PITCHED)})")
    p.add_argument("--probes", default=",".join(PROBES), help=f"probe sets (default {','.join(PROBES)}; '' for none)")
    p.add_argument("--probe-seconds", type=float, default=20.0, help="length of each probe set (default 20)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"phrase seed (default {DEFAULT_SEED}: no recipe's)")
    p.add_argument("--block", type=int, default=TRANSFER_BLOCK, help=f"host block (default {TRANSFER_BLOCK}, as rt-synth transfer)")
    p.add_argument("--input-soundfont", help="soundfont of the inputs (default MuseScore General)")
    p.add_argument("--training-soundfont", help="soundfont of the references (default FluidR3_GM)")
    p.add_argument("--keep", help="write the inputs, references and every model's outputs here")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    a = p.parse_args(argv)
    split = lambda text: [t.strip() for t in text.split(",") if t.strip()]  # noqa: E731
    try:
        r = evaluate(a.models, a.seconds, split(a.instruments), split(a.probes), a.probe_seconds, a.seed,
                     a.block, a.input_soundfont, a.training_soundfont, a.keep,
                     progress=(lambda *_: None) if a.json else (lambda msg: print(msg, flush=True)))
    except UserError as exc:
        print(f"transfer_heldout: {exc}")
        return 2
    if a.json:
        print(json.dumps(r, indent=2))
    else:
        print()
        report(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
