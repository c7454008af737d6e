"""Kind "ddsp" as the shared machinery sees it (rt_synth.kinds.registry)."""
from __future__ import annotations

from rt_synth.kinds.model_kind import ModelKind, build_with_load_model


def _add_train_arguments(p) -> None:
    p.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="start a new run from these weights (a shipped exports/NAME.pt, a run folder "
                        "or a checkpoint): its config and step carry over, the learning-rate "
                        "schedule continues; ignored when --out already holds a run")


def _train(args):
    from rt_synth.kinds.ddsp.trainer import train_ddsp

    return train_ddsp(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                      args.workers, args.seed, init=args.init)


def _export(payload, out, formats, onnx_frames=1, measure=None, source=""):
    from rt_synth.kinds.ddsp.export.formats import export_ddsp

    return export_ddsp(payload, out, formats, onnx_frames, measure, source)


def _compare_runtimes(model, block, seconds, ts, onnx):
    from rt_synth.kinds.ddsp.bench import compare

    return compare(model, block, seconds, ts, onnx)


KIND = ModelKind(
    name="ddsp",
    summary="DDSP harmonic-plus-noise model",
    default_train_config="base",
    add_train_arguments=_add_train_arguments,
    train=_train,
    export=_export,
    compare_runtimes=_compare_runtimes,
    build_in_core=build_with_load_model,
)
