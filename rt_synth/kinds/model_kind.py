"""What a model kind gives the shared machinery: the hooks the CLI, export and bench call.

A kind lives in one folder, rt_synth/kinds/KIND/ (its config, model, streaming form, trainer,
exporters, evaluation, runtime comparison), and its kind.py builds one ``ModelKind``. The hooks
import their modules only when called, so that ``rt-synth`` starts without torch."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence


@dataclass(frozen=True)
class ModelKind:
    name: str  # the file's rt_synth.kind and the checkpoint payload's "kind"
    summary: str  # one line for `rt-synth train --help`
    default_train_config: str
    # options of `rt-synth train KIND` beyond the shared ones (data, out, config, steps, ...)
    add_train_arguments: Callable[[argparse.ArgumentParser], None]
    # `rt-synth train KIND ...` → the run folder
    train: Callable[[argparse.Namespace], Path]
    # `rt-synth export`: (payload, out path without extension, formats, onnx frames,
    # measure dataset or None, where the payload came from) → {format: written path}
    export: Callable[[dict, str, Sequence[str], int, Optional[str], str], dict]
    # `rt-synth bench`: (native model, block, seconds, TorchScript or None, ONNX or None) → result
    compare_runtimes: Callable[..., dict]
    # `rt-synth info`: build a native file's model in the core (every shape and range check);
    # raises the core's ModelFileError or ValueError naming the problem
    build_in_core: Callable[[str], object]


def build_with_load_model(path: str):
    """build_in_core for the kinds the core's generic load_model builds (ddsp, rave)."""
    from rt_synth.core import load_core

    return load_core().load_model(path)
