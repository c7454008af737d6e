"""Held-out figures of every shipped DDSP instrument, in one table (exports/README.md).

    python3 scripts/analysis/ddsp_instruments.py [NAME ...] [--seconds 60] [--bench-seconds 10]
        [--out DIR] [--json]

For each instrument (default: every DDSP model in tests/shipped_models/shipped.py):

- held-out resynthesis (rt_synth.kinds.ddsp.heldout) of unseen phrases of its own instrument
  from the training soundfont (seed 4242, no recipe's): median f0 error (pYIN, cents) and
  loudness-curve error (dB): issue 13's bars are 20 cents and 2 dB;
- timbre distance (rt_synth.eval.timbre_distance, seed 9137): mel-cepstral distance to the
  same performance on the training instrument of the core's live transfer of MuseScore
  General's rendering, beside MuseScore General's own distance (the bar) and their ratio;
- cost: `rt-synth bench NAME --voices 8 --block 64`, the core's p99.9 as a share of the
  1 333 µs period (the bar: 50 %).

Writes DIR/NAME.{heldout,timbre,bench}.json and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "shipped_models"))


def _json(cmd: list[str]) -> dict:
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout[r.stdout.index("{"):])


def measure(name: str, instrument: str, seconds: float, bench_seconds: float, out: Path) -> dict:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
        subprocess.run([py, "-m", "rt_synth.cli.main", "data", "render", "--instrument", instrument,
                        "--seconds", str(seconds), "--seed", "4242", "--out", tmp],
                       check=True, capture_output=True, cwd=ROOT)
        held = _json([py, "-m", "rt_synth.kinds.ddsp.heldout", str(ROOT / "exports" / f"{name}.rtsynth"),
                      tmp, "--json"])
    timbre = _json([py, "-m", "rt_synth.eval.timbre_distance", name, "--instrument", instrument,
                    "--seconds", str(seconds), "--json"])
    bench = _json([py, "-m", "rt_synth.cli.main", "bench", name, "--voices", "8", "--block", "64",
                   "--seconds", str(bench_seconds), "--json"])
    for what, d in (("heldout", held), ("timbre", timbre), ("bench", bench)):
        (out / f"{name}.{what}.json").write_text(json.dumps(d, indent=1))
    return {"name": name, "instrument": instrument, "heldout": held, "timbre": timbre, "bench": bench}


def _p999_share(bench: dict) -> float:
    """The engine's p99.9 block time over the block period (bench --json, voices mode)."""
    return float(bench["p999_us"]) / float(bench["period_us"])


def table(rows: list[dict]) -> str:
    lines = ["| instrument | f0 error (cents) | loudness error (dB) | MCD: model transfer | "
             "MCD: MuseScore (the bar) | ratio | p99.9, 8 voices, block 64 |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        h, t = r["heldout"], r["timbre"]
        m, o = t["model_transfer"]["mcd_db"], t["other_soundfont"]["mcd_db"]
        lines.append(f"| `{r['name']}` ({r['instrument']}) | {h['f0_median_cents']:.1f} | "
                     f"{h['loudness_mean_abs_db']:.2f} | {m:.2f} | {o:.2f} | {m / o:.2f} | "
                     f"{100 * _p999_share(r['bench']):.0f} % |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from shipped import DDSP_INSTRUMENTS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="shipped DDSP models (default: all)")
    p.add_argument("--seconds", type=float, default=60.0, help="unseen phrase audio per measure")
    p.add_argument("--bench-seconds", type=float, default=10.0)
    p.add_argument("--out", default="runs/ddsp-instruments", help="folder for the JSON files")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    names = a.names or list(DDSP_INSTRUMENTS)
    rows = []
    for n in names:
        if n not in DDSP_INSTRUMENTS:
            raise SystemExit(f"{n}: not a shipped DDSP instrument ({', '.join(DDSP_INSTRUMENTS)})")
        rows.append(measure(n, DDSP_INSTRUMENTS[n], a.seconds, a.bench_seconds, out))
        print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=1) if a.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
