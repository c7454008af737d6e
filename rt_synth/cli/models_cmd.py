"""``rt-synth models [--json]``: the models a name can stand for (rt_synth.model_locator's
search path: RT_SYNTH_MODEL_PATH, the user data folder, the shipped models, a checkout's
exports/), with kind, size and latency read by the core. An unreadable file is listed with
its reason; it does not stop the listing."""
from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("models", help="list the models you can name (shipped, RT_SYNTH_MODEL_PATH, "
                                      "user folder)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def describe_all() -> list[dict]:
    from rt_synth.core import load_core
    from rt_synth.model_locator import known_models

    core = load_core()
    rows = []
    for m in known_models():
        row = {"name": m.name, "path": str(m.path), "source": m.source,
               "size_bytes": m.path.stat().st_size}
        try:
            f = core.ModelFile(str(m.path))
            sr = int(f.get("rt_synth.sample_rate"))
            latency = int(f.get("rt_synth.latency_samples"))
            row.update(kind=f.get("rt_synth.kind"), sample_rate=sr, latency_samples=latency,
                       latency_ms=1000.0 * latency / sr, parameters=f.get("rt_synth.parameters"))
        except (core.ModelFileError, KeyError, TypeError, ValueError) as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


def run(args) -> int:
    from rt_synth.model_locator import search_path

    rows = describe_all()
    if args.json:
        print(json.dumps({"models": rows, "search_path": [
            {"folder": str(f), "source": s, "exists": f.is_dir()} for f, s in search_path()]},
            indent=2))
        return 0
    print(f"{'name':24s} {'kind':5s} {'size':>8s} {'latency':>16s}  source")
    for r in rows:
        if "error" in r:
            print(f"{r['name']:24s} {'?':5s} {r['size_bytes'] / 1e6:7.1f}M {'':>16s}  {r['source']}: "
                  f"unreadable ({r['error']})")
            continue
        lat = f"{r['latency_samples']} ({r['latency_ms']:.1f} ms)"
        print(f"{r['name']:24s} {r['kind']:5s} {r['size_bytes'] / 1e6:7.1f}M {lat:>16s}  {r['source']}")
    if not rows:
        print("(no models found)")
    print("searched: " + ", ".join(f"{f}{'' if f.is_dir() else ' (absent)'}"
                                  for f, _ in search_path()))
    return 0
