"""``rt-synth export RUN_OR_CHECKPOINT --out exports/NAME``: write the native model file (for
the C++ core), TorchScript (nn~ contract) and streaming ONNX from one trained model."""
from __future__ import annotations

FORMATS = ("native", "torchscript", "onnx", "checkpoint")


def register(sub) -> None:
    p = sub.add_parser("export", help="export a trained model (native .rtsynth, TorchScript, ONNX)")
    p.add_argument("model", metavar="RUN_OR_CHECKPOINT", help="run folder or .pt checkpoint")
    p.add_argument("--out", required=True, help="output path without extension, e.g. exports/violin")
    p.add_argument("--formats", default=",".join(FORMATS),
                   help=f"comma-separated subset of {','.join(FORMATS)} (default: all)")
    p.add_argument("--onnx-frames", type=int, default=1,
                   help="frames per ONNX streaming step (fixed at export)")
    p.add_argument("--measure", metavar="DATASET",
                   help="RAVE: measure held-out distance and latency on DATASET's validation "
                        "split, store them in the exports and write NAME.metrics.json")
    p.set_defaults(func=run)


def export_model(model_path: str, out: str, formats=FORMATS, onnx_frames: int = 1,
                 measure: str | None = None) -> dict:
    from rt_synth.kinds import get_kind
    from rt_synth.train.checkpoint import load_model_payload

    payload = load_model_payload(model_path)
    kind = get_kind(payload["kind"], str(model_path))
    return kind.export(payload, out, formats, onnx_frames, measure, str(model_path))


def run(args) -> int:
    from rt_synth.cli.errors import UserError

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UserError(f"unknown export format(s) {bad}; choose from {', '.join(FORMATS)}")
    for kind, path in export_model(args.model, args.out, formats, args.onnx_frames,
                                   args.measure).items():
        print(f"{kind:12s} {path}")
    return 0
