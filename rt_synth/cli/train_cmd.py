"""``rt-synth train KIND`` (each kind of rt_synth.kinds.registry): train a model on a prepared dataset.

Multi-process data parallel: ``torchrun --nproc_per_node N -m rt_synth.cli.main train ...``.
Running the same command again on the same --out resumes where the run stopped.
"""
from __future__ import annotations

import argparse


def _common(p: argparse.ArgumentParser, default_config: str) -> None:
    p.add_argument("--data", required=True, help="dataset folder written by `rt-synth data prepare`")
    p.add_argument("--out", required=True, help="run folder (created; an existing run is resumed)")
    p.add_argument("--config", default=default_config, help="model size: tiny (tests), base, or for DDSP live (fewer weights for polyphony)")
    p.add_argument("--steps", type=int, default=10_000, help="train until this step count")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None, help="learning rate")
    p.add_argument("--workers", type=int, default=0, help="data loader worker processes")
    p.add_argument("--seed", type=int, default=0)


def register(sub) -> None:
    from rt_synth.kinds import get_kind, kind_names

    p = sub.add_parser("train", help=f"train a model ({', '.join(kind_names())})")
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name in kind_names():
        kind = get_kind(name)
        k = models.add_parser(name, help=kind.summary)
        _common(k, kind.default_train_config)
        kind.add_train_arguments(k)
        k.set_defaults(func=_train, kind=name)


def _train(args) -> int:
    from rt_synth.kinds import get_kind

    run = get_kind(args.kind).train(args)
    print(f"run folder: {run}")
    return 0
