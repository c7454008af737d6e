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


# ---- playing a pitched RAVE model from MIDI (docs/rave-engine.md "Playing from MIDI") --------

# `--param NAME=VALUE` of `rt-synth render` for a rave file → the RaveSynth property it sets.
RAVE_SYNTH_PARAMS = {"attack_s": "attack", "release_s": "release", "glide_s": "glide", "gain_db": "gain_db",
                     "bend_range": "bend_range"}


def has_pitch_source(model_path) -> bool:
    """Whether a rave file has the pitch source a MIDI note needs (rt_synth.rave.pitch_source)."""
    from rt_synth import _core

    try:
        return bool(_core.ModelFile(str(model_path)).get("rt_synth.rave.pitch_source") or 0)
    except Exception:
        return False


def load_rave_synth(model_path, sample_rate: int | None = None, max_block: int = 4096, params=None,
                    offsets=(), presets=()):
    """A prepared ``_core.RaveSynth`` (monophonic MIDI synth over a pitched RAVE decoder), with
    parameters {name: value} (RAVE_SYNTH_PARAMS) and latent offsets / preset [(index, value)]."""
    from rt_synth import _core

    path = Path(model_path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file")
    try:
        syn = _core.RaveSynth(str(path))
        syn.prepare(float(sample_rate or syn.model_rate), int(max_block))
    except (RuntimeError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None
    for name, value in (params or {}).items():
        if name not in RAVE_SYNTH_PARAMS:
            raise UserError(f"--param {name}: a RAVE model takes {', '.join(sorted(RAVE_SYNTH_PARAMS))}")
        setattr(syn, RAVE_SYNTH_PARAMS[name], float(value))
    for opts, setter, what in ((offsets, syn.set_latent_offset, "--latent-offset"),
                               (presets, syn.set_preset, "--preset")):
        for i, v in opts:
            if not 0 <= i < syn.latent_size:
                raise UserError(f"{what} {i}={v}: the model has latent controls 0..{syn.latent_size - 1}")
            setter(i, v)
    return syn


def render_rave_midi(model_path, midi_path, block: int = 256, tail_s: float = 1.5, params=None,
                     offsets=(), presets=()):
    """(audio float32, sample_rate): a MIDI file played monophonically by a pitched RAVE model
    (last-note priority, legato), `tail_s` after the last event; independent of `block`."""
    from rt_synth.synth.engine import midi_file_events

    syn = load_rave_synth(model_path, max_block=max(1, block), params=params, offsets=offsets, presets=presets)
    sr = syn.sample_rate
    events, end = midi_file_events(midi_path, sr)
    syn.reset()
    audio = syn.render(events, end + int(tail_s * sr), int(block))
    return audio, sr
