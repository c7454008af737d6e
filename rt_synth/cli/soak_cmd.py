"""``rt-synth soak MODEL --minutes N``: N minutes of random MIDI, parameters, resets, model
swaps and adversarial input through the core's C ABI, beside a probe holding one note; reports
non-finite samples, peak, tuning drift of the held note, RSS growth and per-block time
percentiles per minute (rt_synth.benchmark.soak, docs/soak.md). A benchmark, not a test."""
from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("soak", help="long robustness run: random MIDI/params/resets/swaps/bad input")
    p.add_argument("model", help="native model file (.rtsynth) or a model name")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--minutes", type=float, default=None, help="how long to run (default 10)")
    g.add_argument("--seconds", type=float, default=None, help="how long to run, in seconds (tests)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--max-block", type=int, default=512, help="largest random block size (default 512)")
    p.add_argument("--json", action="store_true", help="print the report as JSON only")
    p.set_defaults(func=run)


def _print_report(r: dict) -> None:
    print(f"{r['model']} ({r['kind']}): {r['seconds']:.0f} s, {r['audio_seconds']:.0f} s of audio, "
          f"{r['swaps']} model swaps, {r['resets']} resets, {r['midi_events']} MIDI events, "
          f"{r['param_sets']} parameter sets ({r['param_refused']} refused)")
    print(f"non-finite samples: {r['nan_count']}   peak |y|: {r['peak']:.4f}")
    if r.get("drift_cents") is not None:
        print(f"held A4: {r['f0_start_hz']:.4f} Hz -> {r['f0_end_hz']:.4f} Hz, drift {r['drift_cents']:+.4f} cents")
    else:
        print(f"tuning drift: n/a ({r.get('drift_note', '')})")
    print(f"RSS: {r['rss_start_mib']} MiB at start, {r['rss_warm_mib']} MiB warm, {r['rss_end_mib']} MiB at the end "
          f"(growth {r['rss_growth_mib']:+.2f} MiB)")
    print(f"{'interval':>15s} {'RSS MiB':>8s} {'chaos p50/p99/p99.9/max us':>30s} {'probe p50/p99/p99.9/max us':>30s}")
    for iv in r["intervals"]:
        def fmt(s):
            return "-" if not s else f"{s['p50_us']:.0f}/{s['p99_us']:.0f}/{s['p999_us']:.0f}/{s['max_us']:.0f}"
        print(f"{iv['t_start_s']:7.0f}-{iv['t_end_s']:<7.0f} {iv['rss_mib']:8.1f} {fmt(iv['chaos']):>30s} "
              f"{fmt(iv['probe']):>30s}")
    if r.get("probe_slowdown") is not None:
        print(f"slowdown (last / first interval p50): {r['probe_slowdown']:.3f}")


def run(args) -> int:
    from rt_synth.benchmark.soak import soak
    from rt_synth.errors import UserError
    from rt_synth.model_locator import resolve_model

    model = resolve_model(args.model)
    seconds = args.seconds if args.seconds is not None else 60.0 * (args.minutes if args.minutes is not None else 10.0)
    if not seconds > 0:
        raise UserError(f"the run length must be > 0, got {seconds:g} s")
    if args.max_block < 1:
        raise UserError(f"--max-block must be >= 1, got {args.max_block}")

    def progress(iv, nan_count, peak):
        if not args.json:
            p = iv["probe"] or iv["chaos"]
            print(f"  {iv['t_end_s']:.0f} s: non-finite {nan_count}, peak {peak:.4f}, RSS {iv['rss_mib']} MiB, "
                  f"p50 {p['p50_us']:.0f} us", file=sys.stderr, flush=True)

    report = soak(model, seconds, seed=args.seed, max_block=args.max_block, progress=progress)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print_report(report)
    return 0
