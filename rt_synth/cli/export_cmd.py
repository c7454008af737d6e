"""``rt-synth export RUN_OR_CHECKPOINT --out exports/NAME``: write the native model file (for
the C++ core), TorchScript (nn~ contract) and streaming ONNX from one trained model."""
from __future__ import annotations

from pathlib import Path

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
    import torch

    from rt_synth.cli.errors import UserError
    from rt_synth.train.checkpoint import load_model_payload

    payload = load_model_payload(model_path)
    if payload["kind"] == "rave":
        from rt_synth.export.rave_export import export_rave

        return export_rave(payload, out, formats, onnx_frames, measure)
    if measure is not None:
        raise UserError(f"{model_path}: --measure is for RAVE models; measure a DDSP model with "
                        f"python3 -m rt_synth.eval.ddsp_heldout MODEL.rtsynth AUDIO_DIR")
    if payload["kind"] != "ddsp":
        raise UserError(f"{model_path}: export of kind {payload['kind']!r} is not supported yet")
    from rt_synth.models.ddsp.model import DDSPModel

    model = DDSPModel.from_payload(payload).eval()
    out = Path(out)
    name = out.name
    written = {}
    feature_delay = int(payload.get("feature_delay", 0))
    with torch.no_grad():
        if "native" in formats:
            from rt_synth.export.native import write_ddsp

            written["native"] = write_ddsp(model, out.with_name(name + ".rtsynth"), name,
                                           feature_delay)
        if "torchscript" in formats:
            from rt_synth.export.torchscript import export_torchscript

            written["torchscript"] = export_torchscript(model, out.with_name(name + ".ts"))
        if "onnx" in formats:
            from rt_synth.export.onnx_export import export_onnx

            written["onnx"] = export_onnx(model, out.with_name(name + ".onnx"), onnx_frames)
        if "checkpoint" in formats:
            from rt_synth.train.checkpoint import atomic_save

            p = out.with_name(name + ".pt")
            atomic_save(payload, p)
            written["checkpoint"] = p
    return written


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
