"""Training-time access to a dataset written by ``rt-synth data prepare`` (docs/data.md).

The memmaps are opened read-only on first access in the process that reads them, never
pickled: a Dataset object handed to DataLoader workers or to DDP processes carries only paths,
and each process maps the files itself (the OS page cache shares them).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from rt_synth.errors import UserError

FORMAT = "rt-synth-dataset"
ARRAYS = ("audio", "f0", "periodicity", "loudness")
_REQUIRED = ("sample_rate", "hop", "example_samples", "counts", "stats")


def load_dataset_info(dataset_dir: str | Path) -> dict:
    """dataset.json of a prepared dataset, checked; UserError naming the folder otherwise."""
    folder = Path(dataset_dir)
    fix = f"prepare one with `rt-synth data prepare AUDIO_DIR --out {folder}`"
    if not folder.is_dir():
        raise UserError(f"dataset folder {folder} does not exist: {fix}")
    path = folder / "dataset.json"
    if not path.is_file():
        raise UserError(f"{folder} is not a prepared dataset (no dataset.json): {fix}")
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc}): {fix}") from exc
    if not isinstance(info, dict) or info.get("format", FORMAT) != FORMAT:
        raise UserError(f"{path} is not an rt-synth dataset description: {fix}")
    missing = [k for k in _REQUIRED if k not in info]
    if missing:
        raise UserError(f"{path} lacks {', '.join(missing)}: it was written by another "
                        f"version; {fix}")
    return info


class AudioFeatureDataset(Dataset):
    """Examples of a prepared dataset split, as dicts of float32 tensors:
    audio [T], f0 [F] (Hz), periodicity [F], loudness [F] (dB), with F = T // hop.

    crop_samples: return a hop-aligned crop of this many samples (rounded down to whole hops)
    instead of the whole example; random position when random_crop (uses torch's RNG, which
    DataLoader seeds per worker), else from the start.
    """

    def __init__(self, dataset_dir: str | Path, split: str = "train",
                 crop_samples: int | None = None, random_crop: bool = True):
        self.dir = Path(dataset_dir)
        self.info = load_dataset_info(self.dir)
        counts = self.info["counts"]
        if split not in counts:
            raise UserError(f"dataset {self.dir} has no split {split!r} "
                            f"(it has {', '.join(counts)})")
        self.split = split
        self.hop = int(self.info["hop"])
        self.sample_rate = int(self.info["sample_rate"])
        self.example_samples = int(self.info["example_samples"])
        self.frames = self.example_samples // self.hop
        self.count = int(counts[split])
        if crop_samples is None:
            self.crop_frames = self.frames
        else:
            self.crop_frames = int(crop_samples) // self.hop
            if not 1 <= self.crop_frames <= self.frames:
                raise ValueError(f"crop_samples={crop_samples} must be between one hop "
                                 f"({self.hop}) and the example length ({self.example_samples})")
        self.random_crop = random_crop
        self._maps = None
        self._check_files()

    def _check_files(self) -> None:
        for name in ARRAYS:
            path = self.dir / self.split / f"{name}.f32"
            width = self.example_samples if name == "audio" else self.frames
            expected = self.count * width * 4
            size = path.stat().st_size if path.is_file() else -1
            if size != expected:
                state = "missing" if size < 0 else f"{size} bytes, expected {expected}"
                raise UserError(f"dataset {self.dir}: {self.split}/{name}.f32 is {state}; "
                                f"prepare the dataset again with `rt-synth data prepare`")

    def _open(self) -> dict:
        if self._maps is None:
            self._maps = {}
            for name in ARRAYS:
                width = self.example_samples if name == "audio" else self.frames
                self._maps[name] = np.memmap(self.dir / self.split / f"{name}.f32", dtype="<f4",
                                             mode="r", shape=(self.count, width))
        return self._maps

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_maps"] = None  # each process maps the files itself
        return state

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError(f"index {index} out of range for {self.count} examples")
        maps = self._open()
        start = 0
        if self.crop_frames < self.frames and self.random_crop:
            start = int(torch.randint(0, self.frames - self.crop_frames + 1, ()).item())
        f0, f1 = start, start + self.crop_frames
        s0, s1 = f0 * self.hop, f1 * self.hop
        return {
            "audio": torch.from_numpy(np.array(maps["audio"][index, s0:s1], dtype=np.float32)),
            "f0": torch.from_numpy(np.array(maps["f0"][index, f0:f1], dtype=np.float32)),
            "periodicity": torch.from_numpy(
                np.array(maps["periodicity"][index, f0:f1], dtype=np.float32)),
            "loudness": torch.from_numpy(np.array(maps["loudness"][index, f0:f1],
                                                  dtype=np.float32)),
        }
