"""``rt-synth import MODEL.nam --out NAME [--force]``: a Neural Amp Modeler capture → NAME.rtsynth
(played by the core as an effect model) and NAME.pt (our checkpoint payload), with the parity
between the core and our PyTorch model measured on a test signal (docs/effect-models.md)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("import", help="convert a Neural Amp Modeler .nam file into an effect model")
    p.add_argument("model", metavar="MODEL.nam", help="a .nam file (WaveNet or LSTM, format 0.5.x)")
    p.add_argument("--out", required=True, help="output path without extension, e.g. exports/my-amp")
    p.add_argument("--force", action="store_true", help="overwrite NAME.rtsynth / NAME.pt")
    p.add_argument("--no-checkpoint", action="store_true", help="write NAME.rtsynth only")
    p.set_defaults(func=run)


def _fmt_block(block: int) -> str:
    return "whole signal" if block == 0 else f"block {block}"


def run(args) -> int:
    from rt_synth.kinds.effect.nam_import import METADATA_PREFIX, import_nam

    r = import_nam(args.model, args.out, force=args.force, checkpoint=not args.no_checkpoint)
    sr = r["sample_rate"]
    print(f"{r['source']}: NAM {r['architecture']} (format {r['version']})")
    print(f"  parameters      {r['parameters']:,}")
    print(f"  sample rate     {sr} Hz")
    rf = r["receptive_field"]
    if r["architecture"] == "LSTM":
        print("  receptive field recurrent (its state carries the whole past)")
    else:
        print(f"  receptive field {rf} samples ({1000.0 * rf / sr:.1f} ms)")
    meta = {k[len(METADATA_PREFIX):]: v for k, v in r["metadata"].items()
            if k.startswith(METADATA_PREFIX) and k[len(METADATA_PREFIX):] not in ("version", "architecture")}
    for k, v in meta.items():
        print(f"  {k:15s} {v:.3f}" if isinstance(v, float) else f"  {k:15s} {v}")
    for note in r["notes"]:
        print(f"  note: {note}")
    if r["parity"]:
        figures = ", ".join(f"{_fmt_block(b)} {d:.2e}" for b, d in r["parity"].items())
        print(f"  parity          core vs our PyTorch model, max |diff| on 1 s of test signal: {figures}")
    for kind, path in r["written"].items():
        print(f"{kind:12s} {path}")
    return 0
