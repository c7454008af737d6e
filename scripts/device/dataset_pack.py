#!/usr/bin/env python3
"""Carry a prepared dataset to the GPU machine (docs/training-gpu.md).

The device tool moves at most 64 MiB with the working tree; a prepared dataset is float32
(violin, 1500 s: 250 MB). `pack` writes a subset as 16-bit PCM, first-differenced, byte-planed
and xz-compressed (about 0.47 of int16, 0.24 of float32), features as xz float32; `unpack`
writes it back as a normal prepared dataset (`rt_synth.data.dataset` reads it unchanged).
The 16-bit rounding (-96 dBFS) is the only loss. Standard library, numpy and rt_synth (run
from the checkout): the device image has no soundfile.

    python3 scripts/device/dataset_pack.py pack datasets/violin .gpu/violin --train 480 --valid 24
    python3 scripts/device/dataset_pack.py unpack .gpu/violin /tmp/datasets/violin
"""
from __future__ import annotations

import argparse
import json
import lzma
import sys
from pathlib import Path

import numpy as np

from rt_synth.data.dataset import ARRAYS  # audio first, then the frame features


def _encode_audio(a: np.ndarray) -> bytes:
    q = np.clip(np.round(a * 32767.0), -32768, 32767).astype(np.int16)
    d = np.diff(q.astype(np.int32), axis=-1, prepend=0).astype(np.int16)  # wraps: exact inverse
    planes = d.reshape(-1).view(np.uint8).reshape(-1, 2)
    return lzma.compress(planes[:, 0].tobytes() + planes[:, 1].tobytes(), preset=6)


def _decode_audio(blob: bytes, shape) -> np.ndarray:
    raw = np.frombuffer(lzma.decompress(blob), dtype=np.uint8)
    half = raw.size // 2
    d = np.empty((half, 2), dtype=np.uint8)
    d[:, 0], d[:, 1] = raw[:half], raw[half:]
    d = d.reshape(-1).view(np.int16).reshape(shape)
    q = np.cumsum(d.astype(np.int32), axis=-1).astype(np.int16)  # same wrap-around
    return q.astype(np.float32) / 32767.0


def _pick(n: int, k: int) -> np.ndarray:
    """k of n examples spread evenly (so every source file keeps its share)."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def pack(dataset: Path, out: Path, counts: dict) -> None:
    info = json.loads((dataset / "dataset.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    new = dict(info)
    new["shapes"], new["counts"] = {}, {}
    new["packed_from"] = {"dataset": str(dataset), "subset": counts, "audio": "int16"}
    new.pop("sources", None)
    total = 0
    for split, k in counts.items():
        shapes = info["shapes"][split]
        idx = _pick(shapes["audio"][0], k)
        new["shapes"][split], new["counts"][split] = {}, int(idx.size)
        for name in ARRAYS:
            shape = shapes[name]
            arr = np.memmap(dataset / split / info["arrays"][name], dtype=np.float32,
                            mode="r", shape=tuple(shape))[idx]
            blob = (_encode_audio(arr) if name == "audio"
                    else lzma.compress(np.ascontiguousarray(arr).tobytes(), preset=6))
            (out / f"{split}.{name}.xz").write_bytes(blob)
            new["shapes"][split][name] = [int(idx.size)] + list(shape[1:])
            total += len(blob)
    (out / "dataset.json").write_text(json.dumps(new, indent=1))
    print(f"packed {new['counts']} examples of {dataset} into {out}: {total / 2**20:.1f} MiB")


def unpack(packed: Path, dataset: Path) -> None:
    info = json.loads((packed / "dataset.json").read_text())
    for split, shapes in info["shapes"].items():
        (dataset / split).mkdir(parents=True, exist_ok=True)
        for name, shape in shapes.items():
            blob = (packed / f"{split}.{name}.xz").read_bytes()
            arr = (_decode_audio(blob, shape) if name == "audio"
                   else np.frombuffer(lzma.decompress(blob), dtype=np.float32).reshape(shape))
            arr.astype(np.float32).tofile(dataset / split / info["arrays"][name])
    (dataset / "dataset.json").write_text(json.dumps(info, indent=1))
    print(f"unpacked {info['counts']} into {dataset}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("dataset", type=Path)
    a.add_argument("out", type=Path)
    a.add_argument("--train", type=int, default=480)
    a.add_argument("--valid", type=int, default=24)
    b = sub.add_parser("unpack")
    b.add_argument("packed", type=Path)
    b.add_argument("dataset", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "pack":
        pack(args.dataset, args.out, {"train": args.train, "valid": args.valid})
    else:
        unpack(args.packed, args.dataset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
