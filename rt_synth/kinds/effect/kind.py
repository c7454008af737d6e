"""Kind "effect" as the shared machinery sees it (rt_synth.kinds.registry)."""
from __future__ import annotations

from rt_synth.errors import UserError
from rt_synth.kinds.model_kind import ModelKind


def _add_train_arguments(p) -> None:
    pass  # the shared options only; --data is a pairs folder (rt-synth data pairs)


def _train(args):
    from rt_synth.kinds.effect.trainer import train_effect

    return train_effect(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                        args.workers, args.seed)


def _export(payload, out, formats, onnx_frames=1, measure=None, source=""):
    """native .rtsynth, TorchScript .ts (nn~), ONNX .onnx (one block of 64 × onnx_frames
    samples, state as I/O) and the light checkpoint .pt, named as the other kinds name them."""
    from pathlib import Path

    import torch

    from rt_synth.kinds.effect.model.model import EffectModel
    from rt_synth.train.checkpoint import atomic_save

    if measure is not None:
        raise UserError(f"{source}: --measure is for RAVE models; measure an effect model with "
                        f"python3 -m rt_synth.kinds.effect.heldout RUN PAIRS")
    out = Path(out)
    written = {}
    model = EffectModel.from_payload(payload).eval()
    with torch.no_grad():
        if "native" in formats:
            from rt_synth.kinds.effect.export.native import write_effect

            written["native"] = write_effect(model, out.with_name(out.name + ".rtsynth"),
                                             out.name)
        if "torchscript" in formats:
            from rt_synth.kinds.effect.export.torchscript import export_torchscript

            written["torchscript"] = export_torchscript(model, out.with_name(out.name + ".ts"))
        if "onnx" in formats:
            from rt_synth.kinds.effect.export.onnx import SAMPLES_PER_FRAME, export_onnx

            written["onnx"] = export_onnx(model, out.with_name(out.name + ".onnx"),
                                          max(1, onnx_frames) * SAMPLES_PER_FRAME)
    if "checkpoint" in formats:
        p = out.with_name(out.name + ".pt")
        atomic_save(payload, p)
        written["checkpoint"] = p
    return written


def _compare_runtimes(model, block, seconds, ts, onnx):
    from rt_synth.kinds.effect.bench import compare_effect

    return compare_effect(model, block, seconds, ts, onnx)


def _build_in_core(path):
    from rt_synth.core import load_core

    return load_core().EffectModel(path)


KIND = ModelKind(
    name="effect",
    summary="effect model: waveform in, waveform out (amp and pedal emulation)",
    default_train_config="lstm",
    add_train_arguments=_add_train_arguments,
    train=_train,
    export=_export,
    compare_runtimes=_compare_runtimes,
    build_in_core=_build_in_core,
)
