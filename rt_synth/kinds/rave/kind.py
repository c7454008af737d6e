"""Kind "rave" as the shared machinery sees it (rt_synth.kinds.registry)."""
from __future__ import annotations

from rt_synth.kinds.model_kind import ModelKind, build_with_load_model


def _add_train_arguments(p) -> None:
    p.add_argument("--phase2-step", type=int, default=None,
                   help="step at which phase 2 (frozen encoder, discriminators) starts")


def _train(args):
    from rt_synth.kinds.rave.trainer import train_rave

    return train_rave(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                      args.workers, args.seed, args.phase2_step)


def _export(payload, out, formats, onnx_frames=1, measure=None, source=""):
    from rt_synth.kinds.rave.export.formats import export_rave

    return export_rave(payload, out, formats, onnx_frames, measure)


def _compare_runtimes(model, block, seconds, ts, onnx):
    from rt_synth.kinds.rave.bench import compare_rave

    return compare_rave(model, block, seconds, ts, onnx)


KIND = ModelKind(
    name="rave",
    summary="RAVE-style variational autoencoder (timbre transfer)",
    default_train_config="base",
    add_train_arguments=_add_train_arguments,
    train=_train,
    export=_export,
    compare_runtimes=_compare_runtimes,
    build_in_core=build_with_load_model,
)
