"""The native model-file reader (_core.ModelFile) on files written by the `gguf` package."""
import struct

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from rt_synth import _core  # noqa: E402


def write_model(path, *, version=1, tensors=None, extra=None, alignment=None):
    w = gguf.GGUFWriter(str(path), "rt_synth")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    if version is not None:
        w.add_uint32("rt_synth.format_version", version)
    w.add_string("rt_synth.kind", "ddsp")
    w.add_uint32("rt_synth.sample_rate", 48000)
    w.add_float32("rt_synth.ddsp.f0_midi_mean", 60.5)
    w.add_uint64("rt_synth.parameters", 12345678901)
    w.add_int32("test.neg", -7)
    w.add_bool("test.flag", True)
    w.add_float64("test.f64", 0.125)
    w.add_array("test.ints", [1, 2, 3])
    w.add_array("test.strs", ["a", "bc"])
    for k, v in (extra or {}).items():
        v(w, k)
    rng = np.random.default_rng(0)
    if tensors is None:
        tensors = {"a.weight": rng.standard_normal((3, 5)).astype(np.float32),
                   "a.bias": rng.standard_normal(3).astype(np.float32),
                   "cube": rng.standard_normal((2, 3, 4)).astype(np.float32)}
    for n, t in tensors.items():
        w.add_tensor(n, t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors


def test_reads_keys_and_tensors(tmp_path):
    p = tmp_path / "m.rtsynth"
    tensors = write_model(p)
    f = _core.ModelFile(str(p))
    assert f.gguf_version == 3 and f.format_version == 1 and f.alignment == 32
    assert f.get("general.architecture") == "rt_synth"
    assert f.get_u32("rt_synth.sample_rate") == 48000
    assert f.get_string("rt_synth.kind") == "ddsp"
    assert f.get_f32("rt_synth.ddsp.f0_midi_mean") == pytest.approx(60.5)
    assert f.get("rt_synth.parameters") == 12345678901
    assert f.get("test.neg") == -7 and f.get("test.flag") is True and f.get("test.f64") == 0.125
    assert f.get("test.ints") == [1, 2, 3] and f.get("test.strs") == ["a", "bc"]
    assert "rt_synth.kind" in f and "nope" not in f
    assert set(f.tensor_names()) == set(tensors)
    for n, t in tensors.items():
        assert f.tensor_shape(n) == list(t.shape)
        np.testing.assert_array_equal(f.tensor(n), t)
        np.testing.assert_array_equal(f.tensor(n, list(t.shape)), t)


def test_from_bytes_equals_file(tmp_path):
    p = tmp_path / "m.rtsynth"
    tensors = write_model(p)
    f = _core.ModelFile.from_bytes(p.read_bytes())
    np.testing.assert_array_equal(f.tensor("cube"), tensors["cube"])


@pytest.mark.parametrize("alignment", [8, 64, 256])
def test_custom_alignment(tmp_path, alignment):
    p = tmp_path / "m.rtsynth"
    tensors = write_model(p, alignment=alignment)
    f = _core.ModelFile(str(p))
    assert f.alignment == alignment
    np.testing.assert_array_equal(f.tensor("a.bias"), tensors["a.bias"])


def test_accessor_errors_are_clear(tmp_path):
    p = tmp_path / "m.rtsynth"
    write_model(p)
    f = _core.ModelFile(str(p))
    with pytest.raises(_core.ModelFileError, match=r"^incomplete model file \(an entry is missing\): .*'rt_synth.nope'"):
        f.get_u32("rt_synth.nope")
    with pytest.raises(_core.ModelFileError, match=r"^bad model file \(an entry has the wrong type\): .*'rt_synth.kind' is string"):
        f.get_u32("rt_synth.kind")
    with pytest.raises(_core.ModelFileError, match=r"^bad value in the model file: .*'test.neg'"):
        f.get_u32("test.neg")
    with pytest.raises(_core.ModelFileError, match=r"^model file inconsistent \(a tensor has the wrong shape\): .*'a.weight' has shape \[3, 5\], expected \[5, 3\]"):
        f.tensor("a.weight", [5, 3])
    with pytest.raises(_core.ModelFileError, match="missing tensor 'zzz'"):
        f.tensor("zzz", [1])
    assert issubclass(_core.ModelFileError, ValueError)


def test_missing_file_is_io_error(tmp_path):
    with pytest.raises(_core.ModelFileError, match="nothere.rtsynth: cannot open \\(No such file"):
        _core.ModelFile(str(tmp_path / "nothere.rtsynth"))


def test_wrong_format_version(tmp_path):
    p = tmp_path / "v3.rtsynth"
    write_model(p, version=3)
    with pytest.raises(_core.ModelFileError, match=r"^unsupported model file version: .*format_version' is 3, this build of rt-synth reads format versions 1 to 2 \(upgrade rt-synth\)"):
        _core.ModelFile(str(p))
    p = tmp_path / "v0b.rtsynth"
    write_model(p, version=0)
    with pytest.raises(_core.ModelFileError, match=r"format_version' is 0, .*reads format versions 1 to 2 \(re-export the model\)"):
        _core.ModelFile(str(p))
    for v in (1, 2):  # both versions the core reads open
        p = tmp_path / f"ok{v}.rtsynth"
        write_model(p, version=v)
        assert _core.ModelFile(str(p)).format_version == v
    p = tmp_path / "v0.rtsynth"
    write_model(p, version=None)
    with pytest.raises(_core.ModelFileError, match="^incomplete model file.*rt_synth.format_version"):
        _core.ModelFile(str(p))


def test_nan_and_inf_weights_rejected(tmp_path):
    for bad, word in ((np.nan, "NaN"), (np.inf, "Inf")):
        t = np.ones((4, 6), np.float32)
        t[2, 5] = bad
        p = tmp_path / f"{word}.rtsynth"
        write_model(p, tensors={"w": t})
        with pytest.raises(_core.ModelFileError, match=rf"^corrupt model file \(NaN or Inf\): .*'w'.*{word}.*\[2, 5\]"):
            _core.ModelFile(str(p))


def test_wrong_magic_and_container_version(tmp_path):
    p = tmp_path / "m.rtsynth"
    write_model(p)
    data = bytearray(p.read_bytes())
    with pytest.raises(_core.ModelFileError, match=r"^not an rt-synth model file \(bad magic\): "):
        _core.ModelFile.from_bytes(b"PK\x03\x04" + bytes(data[4:]))
    data2 = bytearray(data)
    data2[4:8] = struct.pack("<I", 2)
    with pytest.raises(_core.ModelFileError, match="^unsupported model file version: .*GGUF container version 2"):
        _core.ModelFile.from_bytes(bytes(data2))


def test_huge_counts_rejected_before_allocating(tmp_path):
    p = tmp_path / "m.rtsynth"
    write_model(p)
    data = bytearray(p.read_bytes())
    for off, name in ((8, "tensor_count"), (16, "kv_count")):
        for value in (2**63, 2**40, 10**6):
            d = bytearray(data)
            d[off:off + 8] = struct.pack("<Q", value)
            with pytest.raises(_core.ModelFileError, match=name):
                _core.ModelFile.from_bytes(bytes(d))
    # A huge string length in the first key.
    d = bytearray(data)
    d[24:32] = struct.pack("<Q", 2**62)
    with pytest.raises(_core.ModelFileError, match="^(too large|truncated or corrupt model file): "):
        _core.ModelFile.from_bytes(bytes(d))


def test_duplicate_key_and_tensor_rejected(tmp_path):
    # gguf refuses duplicates itself, so forge them: rename one key to another's name.
    p = tmp_path / "m.rtsynth"
    write_model(p, tensors={"aa": np.zeros(2, np.float32), "ab": np.zeros(2, np.float32)})
    data = p.read_bytes()
    with pytest.raises(_core.ModelFileError, match=r"^corrupt model file \(an entry appears twice\): .*'aa'"):
        _core.ModelFile.from_bytes(data.replace(b"ab", b"aa"))
    # test.ints/test.strs are the same length: make two 'test.ints'.
    with pytest.raises(_core.ModelFileError, match=r"^corrupt model file \(an entry appears twice\): .*'test.ints'"):
        _core.ModelFile.from_bytes(data.replace(b"test.strs", b"test.ints"))


def test_unsupported_tensor_type_and_bad_alignment(tmp_path):
    p = tmp_path / "m.rtsynth"
    write_model(p, tensors={"w": np.zeros(8, np.float16)})
    with pytest.raises(_core.ModelFileError, match="^unsupported: .*'w'.*ggml type 1"):
        _core.ModelFile(str(p))
    p = tmp_path / "a.rtsynth"
    w = gguf.GGUFWriter(str(p), "rt_synth")
    w.add_uint32("rt_synth.format_version", 1)
    w.add_uint32("general.alignment", 24)
    w.add_tensor("w", np.zeros(3, np.float32))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    with pytest.raises(_core.ModelFileError, match="general.alignment' is 24"):
        _core.ModelFile(str(p))


def test_not_an_rt_synth_file(tmp_path):
    p = tmp_path / "llama.gguf"
    w = gguf.GGUFWriter(str(p), "llama")
    w.add_uint32("rt_synth.format_version", 1)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    with pytest.raises(_core.ModelFileError, match="general.architecture' is \"llama\""):
        _core.ModelFile(str(p))
