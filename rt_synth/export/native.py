"""Writer of the native model file read by the C++ core (docs/model-format.md): GGUF v3 with
the rt_synth.* metadata keys and float32 tensors. Shared by every model kind: each kind's
exporter (rt_synth/kinds/KIND/export/native.py) opens a writer here, adds its keys and
finishes it here."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# the newest format version this writer produces and the core reads. A file is written with
# the lowest version that describes it: version 2 marks the RAVE keys that an older core
# (reading version 1 only) would skip and then play a different network (rave_native.py).
FORMAT_VERSION = 2
OLDEST_FORMAT_VERSION = 1
EXTENSION = ".rtsynth"


def open_writer(path: str | Path, kind: str, name: str, version: int = OLDEST_FORMAT_VERSION):
    """A GGUF writer at path (the .rtsynth extension added if missing) with the keys every
    kind starts with: format version, kind, name. Returns (writer, path)."""
    if not OLDEST_FORMAT_VERSION <= version <= FORMAT_VERSION:
        raise ValueError(f"format version {version} is not one this writer knows")
    import gguf

    path = Path(path)
    if path.suffix != EXTENSION:
        path = path.with_name(path.name + EXTENSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), "rt_synth")
    w.add_uint32("rt_synth.format_version", version)
    w.add_string("rt_synth.kind", kind)
    w.add_string("rt_synth.name", name)
    return w, path


def finish_writer(w, tensors: dict[str, np.ndarray]) -> None:
    """Adds the tensors (refusing non-finite values: a broken model must not be shipped) and
    writes the file."""
    for tname, arr in tensors.items():
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"tensor {tname} has non-finite values: the model is broken")
        w.add_tensor(tname, np.ascontiguousarray(arr))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
