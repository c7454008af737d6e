"""Where models are found, and what a model argument means.

A model argument (``rt-synth render MODEL ...``, ``transfer``, ``info``, ``bench``, ``live``,
``demo --model``) is either a path to a native model file or the name of a known model
(``violin-live-ddsp``). Names are looked up, first match wins, in:

1. ``RT_SYNTH_MODEL_PATH``: folders separated by ``os.pathsep`` (``:``), the user's own;
2. the user data folder: ``$XDG_DATA_HOME/rt-synth/models`` (``~/.local/share/rt-synth/models``);
3. the models shipped with the package (``rt_synth/assets/models/`` in an installed wheel);
4. ``exports/`` of a source checkout (an editable install).

Everything given as a path is checked here before the core opens it, so that a wrong input
gets one plain line and never a hang: a directory, a FIFO or a device (opening a FIFO blocks),
an empty file, a TorchScript / ONNX / PyTorch file given where a native file is expected.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from rt_synth.errors import UserError

NATIVE_SUFFIX = ".rtsynth"
PACKAGE_MODELS = Path(__file__).resolve().parent / "assets" / "models"
CHECKOUT_EXPORTS = Path(__file__).resolve().parents[1] / "exports"
DEFAULT_MODEL = "violin-live-ddsp"

# Files people pass by mistake, by suffix: what they are and what to run instead.
OTHER_FORMATS = {
    ".ts": "a TorchScript file (for nn~ or libtorch)",
    ".onnx": "an ONNX file (for ONNX Runtime)",
    ".pt": "a PyTorch checkpoint",
    ".pth": "a PyTorch checkpoint",
    ".ckpt": "a training checkpoint",
    ".nam": "a Neural Amp Modeler file",
}
GGUF_MAGIC = b"GGUF"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ModelLocation:
    name: str     # file stem: what `rt-synth render NAME` accepts
    path: Path
    source: str   # "RT_SYNTH_MODEL_PATH", "user", "shipped" or "checkout"


def user_model_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rt-synth" / "models"


def search_path() -> list[tuple[Path, str]]:
    """(folder, source) in lookup order; folders that do not exist are kept (listed as such)."""
    folders = [(Path(p).expanduser(), "RT_SYNTH_MODEL_PATH")
               for p in os.environ.get("RT_SYNTH_MODEL_PATH", "").split(os.pathsep) if p]
    folders.append((user_model_dir(), "user"))
    folders.append((PACKAGE_MODELS, "shipped"))
    if CHECKOUT_EXPORTS.is_dir():
        folders.append((CHECKOUT_EXPORTS, "checkout"))
    return folders


def known_models() -> list[ModelLocation]:
    """Every native model file on the search path; a name found twice is listed once (the
    first, which is the one a name resolves to)."""
    seen, found = set(), []
    for folder, source in search_path():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*" + NATIVE_SUFFIX)):
            if path.stem not in seen and path.is_file():
                seen.add(path.stem)
                found.append(ModelLocation(path.stem, path, source))
    return found


def find_model(name: str) -> Path | None:
    """The native file a model name stands for, or None."""
    stem = name[:-len(NATIVE_SUFFIX)] if name.endswith(NATIVE_SUFFIX) else name
    for loc in known_models():
        if loc.name == stem:
            return loc.path
    return None


def check_model_file(path: Path) -> Path:
    """A path given as a native model file: refuse, with one plain line, what is not one.
    Never opens a FIFO or a device (stat only); reads 4 bytes of a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        natives = sorted(Path(path).glob("*" + NATIVE_SUFFIX))
        hint = (f" (it holds {', '.join(p.name for p in natives[:3])})" if natives else "")
        raise UserError(f"{path} is a folder, not a model file{hint}: give a .rtsynth file or a "
                        f"model name (rt-synth models lists them)")
    if not stat.S_ISREG(st.st_mode):
        what = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise UserError(f"{path} is {what}, not a model file: give a .rtsynth file")
    if st.st_size == 0:
        raise UserError(f"{path} is empty (0 bytes): not a model file; re-export it with "
                        f"rt-synth export RUN --out NAME")
    suffix = Path(path).suffix.lower()
    if suffix in OTHER_FORMATS:
        sibling = Path(path).with_suffix(NATIVE_SUFFIX)
        fix = (f"use {sibling}" if sibling.is_file() else
               "convert the .nam file with rt-synth import" if suffix == ".nam" else
               f"make the native file with rt-synth export CHECKPOINT_OR_RUN --out "
               f"{Path(path).with_suffix('')} --formats native")
        raise UserError(f"{path} is {OTHER_FORMATS[suffix]}, not a native rt-synth model "
                        f"(.rtsynth): {fix}")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    if head != GGUF_MAGIC:
        what = ("a zip archive (a TorchScript file or PyTorch checkpoint?)" if head == ZIP_MAGIC
                else "not an rt-synth model file (it does not start with the GGUF magic)")
        raise UserError(f"{path} is {what}: give a native .rtsynth file made by rt-synth export")
    return Path(path)


def resolve_model(arg: str | os.PathLike | None) -> Path:
    """A model argument (path or known name) → the checked path of a native model file."""
    if arg is None or str(arg) == "":
        return resolve_model(DEFAULT_MODEL)
    text = str(arg)
    path = Path(text).expanduser()
    if os.path.lexists(path):
        return check_model_file(path)
    if os.sep not in text and (path.suffix in ("", NATIVE_SUFFIX)):
        found = find_model(text)
        if found is not None:
            return check_model_file(found)
        names = [m.name for m in known_models()]
        raise UserError(f"{text}: no such file, and no known model of that name. Known models: "
                        f"{', '.join(names) if names else '(none found)'} (rt-synth models lists "
                        f"them; RT_SYNTH_MODEL_PATH adds folders)")
    raise UserError(f"{text}: no such file")
