"""Model kinds, one folder each (rt_synth/kinds/KIND/), registered in rt_synth.kinds.registry."""
from rt_synth.kinds.model_kind import ModelKind
from rt_synth.kinds.registry import get_kind, kind_names

__all__ = ["ModelKind", "get_kind", "kind_names"]
