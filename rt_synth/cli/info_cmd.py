"""``rt-synth info MODEL [--json]``: what a native model file holds, validated by the core."""
from __future__ import annotations

import json
import os

PREFIX = "rt_synth."


def register(sub) -> None:
    p = sub.add_parser("info", help="describe a native model file (.rtsynth)")
    p.add_argument("model", help="native model file (.rtsynth) or a model name (rt-synth models)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def describe(path: str) -> dict:
    """Parse with the core (every check of docs/model-format.md), build the model it names
    (shape checks), and return its description. Raises UserError naming the problem."""
    from rt_synth.cli.errors import UserError
    from rt_synth.core import load_core
    from rt_synth.kinds import get_kind, kind_names
    from rt_synth.model_locator import resolve_model

    core = load_core()
    path = str(resolve_model(path))
    try:
        f = core.ModelFile(path)
        kind = f.get(PREFIX + "kind")
        if kind in kind_names():  # builds it: tensor shapes against hyperparameters
            get_kind(kind).build_in_core(path)
    except (core.ModelFileError, ValueError) as exc:
        raise UserError(f"{path} is not a usable model file: {exc}") from exc
    meta = {k[len(PREFIX):]: f.get(k) for k in f.keys() if k.startswith(PREFIX)}
    return {
        "file": os.path.abspath(path),
        "size_bytes": os.path.getsize(path),
        "kind": meta.get("kind"),
        "name": meta.get("name"),
        "format_version": meta.get("format_version"),
        "sample_rate": meta.get("sample_rate"),
        "hop": meta.get("hop"),
        "latency_samples": meta.get("latency_samples"),
        "latency_ms": 1000.0 * meta.get("latency_samples", 0) / max(meta.get("sample_rate") or 1, 1),
        "parameters": meta.get("parameters"),
        "tensors": len(f.tensor_names()),
        "metadata": meta,
    }


def run(args) -> int:
    d = describe(args.model)
    if args.json:
        print(json.dumps(d, indent=2, default=str))
        return 0
    print(f"{d['file']}")
    print(f"  kind            {d['kind']}  ({d['name']})")
    print(f"  format version  {d['format_version']}")
    print(f"  sample rate     {d['sample_rate']} Hz, hop {d['hop']}")
    print(f"  latency         {d['latency_samples']} samples ({d['latency_ms']:.2f} ms)")
    print(f"  parameters      {d['parameters']:,} in {d['tensors']} tensors, {d['size_bytes']:,} bytes")
    meta = d["metadata"]
    if meta.get("rave.pitch_source"):
        print(f"  pitch source    causal YIN {meta['rave.pitch_f0_min']:g}..{meta['rave.pitch_f0_max']:g} Hz "
              f"(threshold {meta['rave.pitch_threshold']:g}), harmonic excitation at the decoder's last stage")
    if meta.get("rave.harmonics"):
        print(f"  harmonic head   {meta['rave.harmonics']} harmonic amplitudes per latent frame "
              f"(the latent sets them; their sum adds to the decoder's bands)")
    for k, v in sorted(d["metadata"].items()):
        if k.startswith(("ddsp.", "rave.", "control.")) or k == "feature_delay_samples":
            print(f"  {k:32s} {v}")
    nam = {k[len("effect.nam."):]: v for k, v in meta.items() if k.startswith("effect.nam.")}
    if nam:  # imported from a Neural Amp Modeler capture (rt-synth import)
        print(f"  imported from   NAM {nam.pop('architecture', '?')} (.nam format {nam.pop('version', '?')})")
        for k, v in sorted(nam.items()):
            print(f"  nam.{k:28s} {v:.3f}" if isinstance(v, float) else f"  nam.{k:28s} {v}")
    return 0
