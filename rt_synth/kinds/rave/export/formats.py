"""``rt-synth export`` for kind "rave": native .rtsynth, TorchScript .ts (nn~), streaming
ONNX .onnx (one block of --onnx-frames latent frames), and the light checkpoint .pt."""
from __future__ import annotations

from pathlib import Path

import torch


def export_rave(payload: dict, out: str | Path, formats, onnx_frames: int = 1,
                measure: str | None = None) -> dict:
    from rt_synth.errors import UserError
    from rt_synth.kinds.rave.model.model import RaveModel

    model = RaveModel.from_payload(payload).eval()
    if not bool(model.latent_stats_ready):
        raise UserError("this RAVE checkpoint has no latent statistics yet (they are computed "
                        "at the end of phase 1): train further, or to the end of the run")
    out = Path(out)
    name = out.name
    written = {}
    if measure is not None:
        import json

        from rt_synth.kinds.rave.export.measurements import measure_rave

        payload = {**payload, "measurements": measure_rave(model, measure)}
        if "step" in payload:
            payload["measurements"]["steps"] = int(payload["step"])
        p = out.with_name(name + ".metrics.json")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(payload["measurements"], indent=1))
        written["metrics"] = p
    with torch.no_grad():
        if "native" in formats:
            from rt_synth.kinds.rave.export.native import write_rave

            written["native"] = write_rave(model, out.with_name(name + ".rtsynth"), name,
                                           payload.get("measurements"))
        if "torchscript" in formats:
            from rt_synth.kinds.rave.export.torchscript import export_torchscript

            written["torchscript"] = export_torchscript(model, out.with_name(name + ".ts"))
        if "onnx" in formats:
            from rt_synth.kinds.rave.export.onnx import export_onnx

            written["onnx"] = export_onnx(model, out.with_name(name + ".onnx"),
                                          max(1, onnx_frames) * model.config.ratio)
        if "checkpoint" in formats:
            from rt_synth.train.checkpoint import atomic_save

            p = out.with_name(name + ".pt")
            atomic_save(payload, p)
            written["checkpoint"] = p
    return written
