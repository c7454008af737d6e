import pytest

from rt_synth.cli.main import main


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """30 s of rendered violin, prepared: the smallest real pipeline input."""
    root = tmp_path_factory.mktemp("pipeline")
    audio, data = root / "audio", root / "data"
    assert main(["data", "render", "--instrument", "violin", "--seconds", "30", "--seed", "3",
                 "--out", str(audio)]) == 0
    assert main(["data", "prepare", str(audio), "--out", str(data), "--example-seconds", "1.0"]) == 0
    return data
