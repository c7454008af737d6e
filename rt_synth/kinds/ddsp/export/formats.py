"""``rt-synth export`` for kind "ddsp": native .rtsynth, TorchScript .ts (nn~), streaming ONNX
.onnx (--onnx-frames frames a step) and the light checkpoint .pt."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from rt_synth.errors import UserError


def export_ddsp(payload: dict, out: str, formats: Sequence[str], onnx_frames: int = 1,
                measure: Optional[str] = None, source: str = "") -> dict:
    import torch

    from rt_synth.kinds.ddsp.model.model import DDSPModel

    if measure is not None:
        raise UserError(f"{source}: --measure is for RAVE models; measure a DDSP model with "
                        f"python3 -m rt_synth.kinds.ddsp.heldout MODEL.rtsynth AUDIO_DIR")
    model = DDSPModel.from_payload(payload).eval()
    out = Path(out)
    name = out.name
    written = {}
    feature_delay = int(payload.get("feature_delay", 0))
    with torch.no_grad():
        if "native" in formats:
            from rt_synth.kinds.ddsp.export.native import write_ddsp

            written["native"] = write_ddsp(model, out.with_name(name + ".rtsynth"), name,
                                           feature_delay)
        if "torchscript" in formats:
            from rt_synth.kinds.ddsp.export.torchscript import export_torchscript

            written["torchscript"] = export_torchscript(model, out.with_name(name + ".ts"))
        if "onnx" in formats:
            from rt_synth.kinds.ddsp.export.onnx import export_onnx

            written["onnx"] = export_onnx(model, out.with_name(name + ".onnx"), onnx_frames)
        if "checkpoint" in formats:
            from rt_synth.train.checkpoint import atomic_save

            p = out.with_name(name + ".pt")
            atomic_save(payload, p)
            written["checkpoint"] = p
    return written
