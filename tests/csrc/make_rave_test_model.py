"""Writes a random-weight RAVE model file (tiny config, noise branch on) for the C++ tests:
`make_rave_test_model.py OUT [tiny|base]`; the same model as tests/core/rave_core_helpers.py."""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from rave_core_helpers import make_model  # noqa: E402

if __name__ == "__main__":
    out = Path(sys.argv[1])
    config = sys.argv[2] if len(sys.argv) > 2 else "tiny"
    with tempfile.TemporaryDirectory() as d:
        _, path = make_model(Path(d), config, name="m")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(path.read_bytes())
    print(out)
