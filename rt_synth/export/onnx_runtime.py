"""An onnxruntime session as the runtime comparisons and the tests run exported steps: CPU,
`threads` intra-op threads (1 by default, like the core), one inter-op thread."""
from __future__ import annotations

from pathlib import Path


def cpu_session(path: str | Path, threads: int = 1):
    """(session, {input name: shape}) for the ONNX file at path."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return session, {i.name: i.shape for i in session.get_inputs()}
