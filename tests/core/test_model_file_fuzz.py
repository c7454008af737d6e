"""Hostile files: every truncation and hundreds of random bit flips must either parse or
raise ModelFileError, never crash. (The C++ suite runs the same under ASan/UBSan.)"""
import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from rt_synth import _core  # noqa: E402

from test_model_file_reader import write_model  # same folder (rootdir-less import)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "small.rtsynth"
    write_model(p, tensors={"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, np.float32)})
    return p.read_bytes()


def test_every_truncation_raises(small_file):
    # The writer pads the data section to the alignment (32) after the last tensor; cutting
    # only that padding leaves a complete file. Every shorter prefix must be refused.
    f = _core.ModelFile.from_bytes(small_file)
    end_of_data = len(small_file) - 24  # last tensor 'b' is 8 bytes, padded to 32
    np.testing.assert_array_equal(f.tensor("b"), np.ones(2, np.float32))
    for n in range(len(small_file)):
        if n >= end_of_data:
            _core.ModelFile.from_bytes(small_file[:n])
            continue
        with pytest.raises(_core.ModelFileError) as ei:
            _core.ModelFile.from_bytes(small_file[:n], name=f"prefix{n}")
        assert f"prefix{n}" in str(ei.value)
        assert str(ei.value).startswith("truncated or corrupt model file: ") or n < 24 + 8


def test_random_bit_flips_never_crash(small_file):
    rng = np.random.default_rng(1234)
    ok = bad = 0
    for _ in range(1500):
        d = bytearray(small_file)
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(0, len(d)))
            d[i] ^= 1 << int(rng.integers(0, 8))
        try:
            f = _core.ModelFile.from_bytes(bytes(d))
            for n in f.tensor_names():
                assert np.all(np.isfinite(f.tensor(n)))
            ok += 1
        except _core.ModelFileError as e:
            assert str(e)
            bad += 1
    assert bad > 0


def test_random_byte_garbage(small_file):
    rng = np.random.default_rng(7)
    for _ in range(300):
        d = bytearray(small_file)
        i = int(rng.integers(0, len(d) - 8))
        d[i:i + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
        try:
            _core.ModelFile.from_bytes(bytes(d))
        except _core.ModelFileError:
            pass
