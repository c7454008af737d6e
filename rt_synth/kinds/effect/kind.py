"""Kind "effect" as the shared machinery sees it (rt_synth.kinds.registry)."""
from __future__ import annotations

from rt_synth.errors import UserError
from rt_synth.kinds.model_kind import ModelKind

NOT_YET = ("the core's effect model (native .rtsynth), its TorchScript and ONNX exports are the "
           "next step of issue 11")


def _add_train_arguments(p) -> None:
    pass  # the shared options only; --data is a pairs folder (rt-synth data pairs)


def _train(args):
    from rt_synth.kinds.effect.trainer import train_effect

    return train_effect(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                        args.workers, args.seed)


def _export(payload, out, formats, onnx_frames=1, measure=None, source=""):
    from pathlib import Path

    from rt_synth.train.checkpoint import atomic_save

    other = [f for f in formats if f != "checkpoint"]
    if other:
        raise UserError(f"{source}: an effect model exports only its checkpoint in this version "
                        f"(--formats checkpoint); {', '.join(other)}: {NOT_YET}")
    p = Path(out).with_name(Path(out).name + ".pt")
    atomic_save(payload, p)
    return {"checkpoint": p}


def _compare_runtimes(model, block, seconds, ts, onnx):
    raise UserError(f"{model}: {NOT_YET}")


KIND = ModelKind(
    name="effect",
    summary="effect model: waveform in, waveform out (amp and pedal emulation)",
    default_train_config="lstm",
    add_train_arguments=_add_train_arguments,
    train=_train,
    export=_export,
    compare_runtimes=_compare_runtimes,
)
