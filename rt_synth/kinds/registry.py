"""The model kinds rt-synth knows: one line each. A kind's name is what its native files
state (rt_synth.kind) and what its checkpoints carry ("kind"); the module named here holds
its ``KIND`` (rt_synth.kinds.model_kind.ModelKind). docs/model-kinds.md says how to add one."""
from __future__ import annotations

import importlib

from rt_synth.errors import UserError
from rt_synth.kinds.model_kind import ModelKind

KIND_MODULES = {
    "ddsp": "rt_synth.kinds.ddsp.kind",
    "rave": "rt_synth.kinds.rave.kind",
    "effect": "rt_synth.kinds.effect.kind",
}


def kind_names() -> list[str]:
    return list(KIND_MODULES)


def get_kind(name: str, source: str = "") -> ModelKind:
    """The kind called `name`; UserError naming `source` (a file or run) and the known kinds
    when there is none."""
    module = KIND_MODULES.get(str(name))
    if module is None:
        where = f"{source}: " if source else ""
        raise UserError(f"{where}model kind {name!r} is not one this version of rt-synth knows "
                        f"({', '.join(KIND_MODULES)}); update rt-synth or check the file")
    return importlib.import_module(module).KIND
