"""Access to the compiled C++ core (``rt_synth._core``) with a clear error if it is missing."""
from __future__ import annotations


def load_core():
    try:
        from rt_synth import _core  # type: ignore[attr-defined]
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise ImportError(
            "rt_synth._core (the compiled C++ core) is not built. Reinstall the package "
            "with `pip install --no-build-isolation -e .` from the repository root "
            "(scripts/setup.sh does this)."
        ) from exc
    return _core
