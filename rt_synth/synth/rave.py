"""Python side of the RAVE host engine (docs/rave-engine.md): the model kind of a file, a
prepared ``rt_synth._core.RaveEngine``, and the ``I=V`` latent options of the CLI."""
from __future__ import annotations

from pathlib import Path

from rt_synth.errors import UserError


def model_kind(model_path) -> str:
    """'ddsp', 'rave', ... as the file states (rt_synth.kind); '' when unreadable."""
    from rt_synth import _core

    try:
        return str(_core.ModelFile(str(model_path)).get("rt_synth.kind") or "")
    except Exception:  # unreadable / corrupt: let the loader of the default kind name the problem
        return ""


def parse_latent_options(values, what: str) -> list[tuple[int, float]]:
    """['0=1.5', '2=-0.3'] → [(0, 1.5), (2, -0.3)]; errors name the option."""
    out = []
    for v in values or []:
        try:
            i, x = str(v).split("=", 1)
            out.append((int(i), float(x)))
        except ValueError:
            raise UserError(f"{what} {v!r}: use INDEX=VALUE, e.g. {what} 0=1.5") from None
    return out


def load_rave_engine(model_path, sample_rate: int | None = None, max_block: int = 4096,
                     offsets=(), scales=()):
    """A prepared ``_core.RaveEngine`` (forward = timbre transfer, any host rate), with the
    given latent offsets/scales [(index, value)] applied (model space, clamped by the model)."""
    from rt_synth import _core

    path = Path(model_path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file")
    try:
        eng = _core.RaveEngine(str(path))
        eng.prepare(float(sample_rate or eng.model_rate), int(max_block))
    except (RuntimeError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None
    for opts, setter, what in ((offsets, eng.set_latent_offset, "--latent-offset"),
                               (scales, eng.set_latent_scale, "--latent-scale")):
        for i, v in opts:
            if not 0 <= i < eng.latent_size:
                raise UserError(f"{what} {i}={v}: the model has latent controls 0..{eng.latent_size - 1}")
            setter(i, v)
    return eng
