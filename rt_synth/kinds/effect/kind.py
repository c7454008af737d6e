"""Kind "effect" as the shared machinery sees it (rt_synth.kinds.registry)."""
from __future__ import annotations

from rt_synth.errors import UserError
from rt_synth.kinds.model_kind import ModelKind

NOT_YET = ("the TorchScript and ONNX exports and the runtime comparison are the next steps of "
           "issue 11")


def _add_train_arguments(p) -> None:
    pass  # the shared options only; --data is a pairs folder (rt-synth data pairs)


def _train(args):
    from rt_synth.kinds.effect.trainer import train_effect

    return train_effect(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                        args.workers, args.seed)


def _export(payload, out, formats, onnx_frames=1, measure=None, source=""):
    from pathlib import Path

    from rt_synth.train.checkpoint import atomic_save

    other = [f for f in formats if f not in ("native", "checkpoint")]
    if other:
        raise UserError(f"{source}: an effect model exports its native file and checkpoint in "
                        f"this version (--formats native,checkpoint); {', '.join(other)}: {NOT_YET}")
    out = Path(out)
    written = {}
    if "native" in formats:
        import torch

        from rt_synth.kinds.effect.export.native import write_effect
        from rt_synth.kinds.effect.model.model import EffectModel

        with torch.no_grad():
            written["native"] = write_effect(EffectModel.from_payload(payload).eval(),
                                             out.with_name(out.name + ".rtsynth"), out.name)
    if "checkpoint" in formats:
        p = out.with_name(out.name + ".pt")
        atomic_save(payload, p)
        written["checkpoint"] = p
    return written


def _compare_runtimes(model, block, seconds, ts, onnx):
    raise UserError(f"{model}: {NOT_YET}")


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
