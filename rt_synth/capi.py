"""cffi (ABI mode) bridge to the C ABI of the core: ``librt_synth_c.so`` and its one header
``rt_synth.h`` (docs/embedding.md). Used by the tests to prove the ABI from outside C++, and
usable by any Python host that prefers the C library to the pybind11 module.

The library and header are installed with the package (``rt_synth/librt_synth_c.so``,
``rt_synth/include/rt_synth.h``, CMake config in ``rt_synth/cmake``); ``RT_SYNTH_C_LIBRARY``
names another build of the library. The declarations given to cffi are read from the header
itself, so the bridge cannot drift from it.

    from rt_synth.capi import CModel
    m = CModel("exports/violin-live-ddsp.rtsynth", method="synth", voices=8)
    m.prepare(48000, 256)
    y = m.render([(0, b"\\x90\\x45\\x64"), (24000, b"\\x80\\x45\\x00")], 48000, block=256)
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

LIBRARY_NAME = "librt_synth_c.so"
METHODS = {"synth": 0, "transfer": 1, "controls": 2}

_FFI = None
_LIB = None


class CAPIError(RuntimeError):
    """A failing C ABI call: ``status`` (RT_SYNTH_ERR_*) and the library's message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _package_dirs() -> list[Path]:
    import rt_synth

    return [Path(p) for p in rt_synth.__path__]


def library_path() -> Path:
    """Path of the shared library: $RT_SYNTH_C_LIBRARY, else next to the installed package."""
    env = os.environ.get("RT_SYNTH_C_LIBRARY")
    if env:
        return Path(env)
    for d in _package_dirs():
        if (d / LIBRARY_NAME).is_file():
            return d / LIBRARY_NAME
    raise FileNotFoundError(
        f"{LIBRARY_NAME} is not installed next to the rt_synth package ({', '.join(map(str, _package_dirs()))}); "
        "rebuild the package with `bash scripts/build_core.sh` (or set RT_SYNTH_C_LIBRARY)")


def header_path() -> Path:
    """rt_synth.h: the installed copy (rt_synth/include) or the source tree's csrc/capi."""
    candidates = [d / "include" / "rt_synth.h" for d in _package_dirs()]
    candidates.append(Path(__file__).resolve().parent.parent / "csrc" / "capi" / "rt_synth.h")
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError("rt_synth.h not found (looked in " + ", ".join(map(str, candidates)) + ")")


def include_dir() -> Path:
    return header_path().parent


def cmake_dir() -> Path | None:
    """Folder holding rt_synthConfig.cmake for find_package(rt_synth), if installed."""
    for d in _package_dirs():
        if (d / "cmake" / "rt_synthConfig.cmake").is_file():
            return d / "cmake"
    return None


def cdef_from_header(text: str) -> str:
    """The header reduced to what cffi's cdef parses: no comments, no preprocessor lines,
    no export macro, no extern "C" wrapper."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines)
    text = text.replace('extern "C" {', "")
    text = text.replace("RT_SYNTH_API", "")
    # the closing brace of extern "C" is the last lone "}" in the file
    idx = text.rstrip().rfind("}")
    if idx >= 0 and text[idx:].strip() == "}":
        text = text[:idx]
    return text


def load():
    """(ffi, lib) for the C ABI, loaded once."""
    global _FFI, _LIB
    if _LIB is None:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(cdef_from_header(header_path().read_text()))
        lib = ffi.dlopen(str(library_path()))
        _FFI, _LIB = ffi, lib
    return _FFI, _LIB


def last_error() -> str:
    ffi, lib = load()
    return ffi.string(lib.rt_synth_last_error()).decode("utf-8", "replace")


def _check(status: int, what: str):
    if status != 0:
        ffi, lib = load()
        msg = last_error() or ffi.string(lib.rt_synth_status_string(status)).decode()
        raise CAPIError(status, f"{what}: {msg}")


class CModel:
    """One handle of the C ABI: a model running one method ("synth", "transfer", "controls")."""

    def __init__(self, source, method: str = "synth", voices: int = 8, name: str | None = None):
        ffi, lib = load()
        self._ffi, self._lib = ffi, lib
        opt = ffi.new("rt_synth_options*")
        lib.rt_synth_options_init(opt)
        opt.method = METHODS[method] if isinstance(method, str) else int(method)
        opt.max_voices = int(voices)
        out = ffi.new("rt_synth_handle**")
        if isinstance(source, (bytes, bytearray, memoryview)):
            buf = ffi.from_buffer(bytes(source))
            nm = ffi.new("char[]", (name or "<memory>").encode())
            st = lib.rt_synth_open_memory(buf, len(buf), nm, opt, out)
        else:
            st = lib.rt_synth_open_file(str(source).encode(), opt, out)
        _check(st, f"open {name or source if not isinstance(source, (bytes, bytearray, memoryview)) else '<memory>'}")
        self._h = ffi.gc(out[0], lib.rt_synth_close)
        self.channels = 1
        self.max_block = 0

    # -- metadata
    def _s(self, p) -> str | None:
        return None if p == self._ffi.NULL else self._ffi.string(p).decode("utf-8", "replace")

    @property
    def kind(self) -> str:
        return self._s(self._lib.rt_synth_kind(self._h))

    @property
    def name(self) -> str:
        return self._s(self._lib.rt_synth_name(self._h))

    @property
    def sample_rate(self) -> int:
        return self._lib.rt_synth_model_sample_rate(self._h)

    @property
    def hop(self) -> int:
        return self._lib.rt_synth_hop(self._h)

    @property
    def method(self) -> int:
        return self._lib.rt_synth_method(self._h)

    def methods(self) -> list[dict]:
        out = []
        info = self._ffi.new("rt_synth_method_info*")
        for i in range(self._lib.rt_synth_method_count(self._h)):
            _check(self._lib.rt_synth_get_method_info(self._h, i, info), "method info")
            out.append(dict(name=self._s(info.name), description=self._s(info.description),
                            in_channels=info.in_channels, in_ratio=info.in_ratio,
                            out_channels=info.out_channels, out_ratio=info.out_ratio,
                            takes_midi=bool(info.takes_midi), latency=info.latency))
        return out

    def metadata(self) -> dict[str, str]:
        lib = self._lib
        keys = [self._s(lib.rt_synth_metadata_key(self._h, i)) for i in range(lib.rt_synth_metadata_count(self._h))]
        return {k: self._s(lib.rt_synth_metadata_value(self._h, k.encode())) for k in keys}

    def params(self) -> dict[str, tuple]:
        """{name: (id, min, max, default)}"""
        info = self._ffi.new("rt_synth_param_info*")
        out = {}
        for i in range(self._lib.rt_synth_param_count(self._h)):
            _check(self._lib.rt_synth_get_param_info(self._h, i, info), "param info")
            out[self._s(info.name)] = (info.id, info.min, info.max, getattr(info, "def"))
        return out

    def _pid(self, param) -> int:
        if isinstance(param, str):
            pid = self._lib.rt_synth_find_param(self._h, param.encode())
            if pid < 0:
                raise KeyError(f"unknown parameter '{param}'")
            return pid
        return int(param)

    def set_param(self, param, value: float) -> None:
        _check(self._lib.rt_synth_set_param(self._h, self._pid(param), float(value)), f"set_param {param}")

    def get_param(self, param) -> float:
        v = self._ffi.new("float*")
        _check(self._lib.rt_synth_get_param(self._h, self._pid(param), v), f"get_param {param}")
        return float(v[0])

    # -- streaming
    def prepare(self, sample_rate: float, max_block: int, channels: int = 1) -> None:
        _check(self._lib.rt_synth_prepare(self._h, float(sample_rate), int(max_block), int(channels)), "prepare")
        self.channels, self.max_block = int(channels), int(max_block)

    @property
    def latency(self) -> int:
        return self._lib.rt_synth_latency(self._h)

    @property
    def latency_seconds(self) -> float:
        return self._lib.rt_synth_latency_seconds(self._h)

    def reset(self) -> None:
        _check(self._lib.rt_synth_reset(self._h), "reset")

    def send_midi(self, data: bytes, offset: int = 0) -> int:
        """Status code (0 ok, RT_SYNTH_ERR_QUEUE_FULL when dropped)."""
        data = bytes(data)
        return self._lib.rt_synth_send_midi(self._h, data, len(data), int(offset))

    def process(self, n: int | None = None, inputs=None) -> np.ndarray:
        """float32[channels, n]. inputs: list of float32 arrays (transfer: `channels`
        signals; controls: [f0_hz, loudness_db]); n defaults to their length."""
        ffi = self._ffi
        keep = []
        if inputs is not None:
            inputs = [np.ascontiguousarray(x, dtype=np.float32) for x in inputs]
            n = len(inputs[0]) if n is None else n
            in_ptrs = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(x)) for x in inputs])
            keep.append(inputs)
        else:
            in_ptrs = ffi.NULL
        out = np.zeros((self.channels, int(n)), dtype=np.float32)
        out_ptrs = ffi.new("float*[]", [ffi.cast("float*", ffi.from_buffer(out[c])) for c in range(self.channels)])
        st = self._lib.rt_synth_process(self._h, in_ptrs, out_ptrs, int(n))
        if st != 0:
            raise CAPIError(st, "process: " + ffi.string(self._lib.rt_synth_status_string(st)).decode())
        return out

    def render(self, events, n_samples: int, block: int = 256) -> np.ndarray:
        """Offline render of timed MIDI [(sample, bytes)], pushed block by block with their
        offsets exactly like SynthEngine.render (mono, float32[n_samples])."""
        out = np.zeros(int(n_samples), dtype=np.float32)
        ev = sorted(events, key=lambda e: e[0])
        k = 0
        for start in range(0, int(n_samples), block):
            n = min(block, int(n_samples) - start)
            while k < len(ev) and ev[k][0] < start + n:
                self.send_midi(ev[k][1], max(0, ev[k][0] - start))
                k += 1
            out[start:start + n] = self.process(n)[0]
        return out

    def close(self) -> None:
        if self._h is not None:
            h, self._h = self._h, None
            self._ffi.gc(h, None)  # detaches the destructor (returns None, not the pointer)
            self._lib.rt_synth_close(h)
