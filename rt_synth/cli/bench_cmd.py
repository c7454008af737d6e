"""``rt-synth bench MODEL --block N``: per-block wall time of the C++ core, TorchScript and
ONNX Runtime on the same model (siblings MODEL.ts / MODEL.onnx beside the .rtsynth file).
With ``--voices N``: the whole synth engine with N voices sounding. A benchmark, not a test.
Without torch (``pip install rt-synth`` without ``[train]``) or onnxruntime, the runtimes that
are missing are left out and the output says so: the core alone is measured."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the core against TorchScript and ONNX Runtime")
    p.add_argument("model", help="native model file (.rtsynth) or a model name; .ts/.onnx "
                                 "siblings are compared")
    p.add_argument("--block", type=int, default=128, help="host block size in samples")
    p.add_argument("--seconds", type=float, default=10.0, help="audio to process per runtime")
    p.add_argument("--voices", type=int, default=None,
                   help="benchmark the polyphonic engine with N voices sounding instead")
    p.add_argument("--torchscript", default=None, help="TorchScript file (default: MODEL.ts)")
    p.add_argument("--onnx", default=None, help="ONNX file (default: MODEL.onnx)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=run)


def _print_table(r: dict) -> None:
    period = r["block"] / r["sample_rate"] * 1e6
    print(f"{r['model']}: block {r['block']} at {r['sample_rate']} Hz "
          f"(period {period:.0f} µs), {r['seconds']:.1f} s of audio, one thread each")
    print(f"{'runtime':12s} {'p50 µs':>9s} {'p99 µs':>9s} {'p99.9 µs':>9s} {'max µs':>9s} {'rtf':>7s}")
    for k in ("core", "torchscript", "onnxruntime"):
        if k in r:
            s = r[k]
            print(f"{k:12s} {s['p50_us']:9.1f} {s['p99_us']:9.1f} {s['p999_us']:9.1f} "
                  f"{s['max_us']:9.1f} {s['rtf']:7.4f}")
    for k, v in r.items():
        if k.startswith("core_speedup"):
            print(f"{k}: {v:.1f}x")


def run(args) -> int:
    from rt_synth.cli.errors import UserError

    from rt_synth.model_locator import resolve_model

    model = resolve_model(args.model)
    if args.block < 1:
        raise UserError(f"--block must be ≥ 1, got {args.block}")
    if args.voices is not None:
        try:
            from rt_synth.synth.bench_engine import bench_engine
        except ImportError as exc:
            raise UserError("the polyphonic engine benchmark (--voices) is not available in "
                            "this build") from exc
        result = bench_engine(str(model), voices=args.voices, block=args.block,
                              seconds=args.seconds)
        print(json.dumps(result, indent=None if args.json else 2))
        return 0
    from rt_synth.core import load_core
    from rt_synth.kinds import get_kind

    ts = Path(args.torchscript or model.with_suffix(".ts"))
    onnx = Path(args.onnx or model.with_suffix(".onnx"))
    notes = []
    for label, path, module, extra in (("TorchScript", ts, "torch", "[train]"),
                                       ("ONNX Runtime", onnx, "onnxruntime", "[train]")):
        if not path.is_file():
            notes.append(f"{label}: no {path.name} beside the model, not measured")
        elif importlib.util.find_spec(module) is None:
            notes.append(f"{label}: {module} is not installed (pip install 'rt-synth{extra}'), "
                         f"not measured")
    if importlib.util.find_spec("torch") is None:
        ts = None
    if importlib.util.find_spec("onnxruntime") is None:
        onnx = None
    kind = get_kind(load_core().ModelFile(str(model)).get("rt_synth.kind"), str(model))
    result = kind.compare_runtimes(model, args.block, args.seconds, ts, onnx)
    result["notes"] = notes
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
        for note in notes:
            print(f"note: {note}")
    return 0
