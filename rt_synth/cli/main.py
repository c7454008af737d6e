"""Entry point of the ``rt-synth`` command."""
from __future__ import annotations

import argparse
import importlib
import sys

from rt_synth import __version__
from rt_synth.errors import UserError

# Each module registers one top-level command (or command group). Order = order in --help.
COMMAND_MODULES = [
    "rt_synth.cli.data_cmd",
    "rt_synth.cli.train_cmd",
    "rt_synth.cli.export_cmd",
    "rt_synth.cli.import_cmd",
    "rt_synth.cli.transfer_cmd",
    "rt_synth.cli.info_cmd",
    "rt_synth.cli.models_cmd",
    "rt_synth.cli.bench_cmd",
    "rt_synth.cli.render_cmd",
    "rt_synth.cli.live_cmd",
    "rt_synth.cli.demo_cmd",
    "rt_synth.cli.soak_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rt-synth",
        description="Real-time neural audio synthesis: prepare data, train, export, play.",
    )
    parser.add_argument("--version", action="version", version=f"rt-synth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        rc = args.func(args)
    except UserError as exc:
        print(f"rt-synth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
