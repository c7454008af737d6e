"""Checkpoints of a training run: atomic writes, resume from the last one.

Layout of a run folder::

    RUN/run.json                 kind, config, dataset, world size (written at start)
    RUN/checkpoints/last.pt      full state for resuming (model, optimiser, step, RNG)
    RUN/checkpoints/step_N.pt    full state at step N (the newest few are kept)
    RUN/model.pt                 weights + config + normalisation only (what export reads)
    RUN/plots/step_N.png         validation spectrogram: target beside reconstruction
    RUN/tensorboard/             scalars and audio
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from rt_synth.errors import UserError

KEEP_STEP_CHECKPOINTS = 3


def atomic_save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # an interrupted save never leaves a half-written checkpoint


def save_checkpoint(run_dir: Path, step: int, state: dict, light_payload: dict) -> Path:
    ckpt_dir = run_dir / "checkpoints"
    path = ckpt_dir / f"step_{step:07d}.pt"
    atomic_save(state, path)
    atomic_save(state, ckpt_dir / "last.pt")
    atomic_save({**light_payload, "step": step}, run_dir / "model.pt")  # step: for exports' notes
    old = sorted(ckpt_dir.glob("step_*.pt"))[:-KEEP_STEP_CHECKPOINTS]
    for p in old:
        p.unlink(missing_ok=True)
    return path


def load_last_checkpoint(run_dir: Path) -> dict | None:
    path = run_dir / "checkpoints" / "last.pt"
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # corrupt file: say which and what to do
        raise UserError(f"cannot read checkpoint {path}: {exc}. Delete it to start the run "
                        f"again, or restore it from a step_*.pt beside it.") from exc


def read_run_info(run_dir: Path, kind: str) -> dict | None:
    """RUN/run.json of a run being resumed (None for a new run); UserError when the folder
    holds a run of another kind."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    if saved.get("kind") != kind:
        raise UserError(f"{run_dir} holds a {saved.get('kind')} run, not {kind}")
    return saved


def write_run_info(run_dir: Path, info: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(info, indent=2))


def load_model_payload(path: str | os.PathLike) -> dict:
    """Weights + config from a run folder (RUN/model.pt), a light payload or a full
    checkpoint. Raises UserError naming the path when it is none of those."""
    p = Path(path)
    if p.is_dir():
        for cand in (p / "model.pt", p / "checkpoints" / "last.pt"):
            if cand.exists():
                p = cand
                break
        else:
            raise UserError(f"{path} is a folder with no model.pt or checkpoints/last.pt: "
                            f"pass a run folder written by `rt-synth train` or a .pt file")
    if not p.exists():
        raise UserError(f"{path}: no such file")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise UserError(f"{p} is not a readable PyTorch checkpoint ({exc})") from exc
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict) and "kind" in obj["model"]:
        obj = obj["model"]  # full checkpoint → its light payload
    if not isinstance(obj, dict) or "kind" not in obj or "state_dict" not in obj:
        raise UserError(f"{p} is not an rt-synth model checkpoint (no 'kind'/'state_dict')")
    return obj
