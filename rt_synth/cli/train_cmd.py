"""``rt-synth train ddsp|rave``: train a model on a prepared dataset.

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
    p = sub.add_parser("train", help="train a model (ddsp, rave)")
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    d = models.add_parser("ddsp", help="DDSP harmonic-plus-noise model")
    _common(d, "base")
    d.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="start a new run from these weights (a shipped exports/NAME.pt, a run folder "
                        "or a checkpoint): its config and step carry over, the learning-rate "
                        "schedule continues; ignored when --out already holds a run")
    d.set_defaults(func=_train_ddsp)
    r = models.add_parser("rave", help="RAVE-style variational autoencoder (timbre transfer)")
    _common(r, "base")
    r.add_argument("--phase2-step", type=int, default=None,
                   help="step at which phase 2 (frozen encoder, discriminators) starts")
    r.set_defaults(func=_train_rave)


def _train_ddsp(args) -> int:
    from rt_synth.train.ddsp_trainer import train_ddsp

    run = train_ddsp(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                     args.workers, args.seed, init=args.init)
    print(f"run folder: {run}")
    return 0


def _train_rave(args) -> int:
    from rt_synth.train.rave_trainer import train_rave

    run = train_rave(args.data, args.out, args.config, args.steps, args.batch_size, args.lr,
                     args.workers, args.seed, args.phase2_step)
    print(f"run folder: {run}")
    return 0
