"""AudioFeatureDataset / load_dataset_info over a prepared dataset."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from rt_synth.cli.errors import UserError
from rt_synth.data.dataset import AudioFeatureDataset, load_dataset_info
from rt_synth.data.prepare import prepare_dataset
from tests_data_helpers import make_mixed_folder

T, HOP = 96000, 192
F = T // HOP


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds")
    make_mixed_folder(root / "audio")
    prepare_dataset(root / "audio", root / "ds", valid_fraction=0.3, progress=False)
    return root / "ds"


def test_items_have_documented_shapes_and_match_the_files(dataset):
    info = load_dataset_info(dataset)
    train = AudioFeatureDataset(dataset, "train")
    valid = AudioFeatureDataset(dataset, "valid")
    assert len(train) == info["counts"]["train"] and len(valid) == info["counts"]["valid"]
    assert len(train) + len(valid) == 5 and len(valid) >= 1
    item = train[len(train) - 1]
    assert set(item) == {"audio", "f0", "periodicity", "loudness"}
    assert item["audio"].shape == (T,) and item["audio"].dtype == torch.float32
    for k in ("f0", "periodicity", "loudness"):
        assert item[k].shape == (F,) and item[k].dtype == torch.float32
    raw = np.fromfile(dataset / "train" / "f0.f32", "<f4").reshape(len(train), F)
    np.testing.assert_array_equal(item["f0"].numpy(), raw[-1])
    with pytest.raises(IndexError):
        train[len(train)]


def test_dataloader_with_two_workers(dataset):
    ds = AudioFeatureDataset(dataset, "train")
    ds[0]  # opened in this process: must not stop pickling for the workers
    assert pickle.loads(pickle.dumps(ds))._maps is None
    loader = DataLoader(ds, batch_size=2, num_workers=2, shuffle=False)
    batches = list(loader)
    assert sum(b["audio"].shape[0] for b in batches) == len(ds)
    assert batches[0]["audio"].shape == (min(2, len(ds)), T)
    assert batches[0]["loudness"].shape == (min(2, len(ds)), F)
    torch.testing.assert_close(batches[0]["audio"][0], ds[0]["audio"])


def test_random_crop_is_hop_aligned(dataset):
    full = AudioFeatureDataset(dataset, "train")[0]
    ds = AudioFeatureDataset(dataset, "train", crop_samples=100 * HOP + 50)
    torch.manual_seed(0)
    starts = set()
    for _ in range(8):
        item = ds[0]
        assert item["audio"].shape == (100 * HOP,) and item["f0"].shape == (100,)
        # Find the frame offset from f0 and check the audio is the matching slice.
        s = next(s for s in range(F - 100 + 1)
                 if torch.equal(full["loudness"][s:s + 100], item["loudness"])
                 and torch.equal(full["audio"][s * HOP:(s + 100) * HOP], item["audio"]))
        starts.add(s)
    assert len(starts) > 1, "crop position never changes"
    fixed = AudioFeatureDataset(dataset, "train", crop_samples=100 * HOP, random_crop=False)[0]
    torch.testing.assert_close(fixed["audio"], full["audio"][: 100 * HOP])


def test_not_a_dataset_names_the_folder(tmp_path):
    with pytest.raises(UserError, match="not a prepared dataset") as exc:
        load_dataset_info(tmp_path)
    assert str(tmp_path) in str(exc.value)
    with pytest.raises(UserError, match="does not exist"):
        AudioFeatureDataset(tmp_path / "nope")


def test_truncated_arrays_are_reported(dataset, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    with open(copy / "train" / "audio.f32", "r+b") as fh:
        fh.truncate(100)
    with pytest.raises(UserError, match="audio.f32"):
        AudioFeatureDataset(copy, "train")
    info = json.loads((copy / "dataset.json").read_text())
    del info["stats"]
    (copy / "dataset.json").write_text(json.dumps(info))
    with pytest.raises(UserError, match="stats"):
        load_dataset_info(copy)
