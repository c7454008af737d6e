"""rt-synth transfer: WAV in -> WAV out at the input's rate through the core, latency printed,
--compensate-latency lines the dry path up with the input."""
import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from rt_synth.cli.main import main  # noqa: E402


@pytest.mark.parametrize("rate", [48000, 44100])
def test_transfer_cli(tmp_path, small_model, capsys, rate):
    n = rate
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / rate)).astype(np.float32)
    sf.write(tmp_path / "in.wav", x, rate)
    rc = main(["transfer", small_model, str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--block", "300",
               "--pitch-shift", "2"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "latency:" in out and "real-time factor" in out
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == rate and len(y) == n and np.all(np.isfinite(y)) and np.sqrt(np.mean(y[n // 2:] ** 2)) > 1e-3
    # dry only, compensated: output == input (48 kHz: exactly; 44.1 kHz: through the resamplers)
    rc = main(["transfer", small_model, str(tmp_path / "in.wav"), str(tmp_path / "dry.wav"), "--dry", "1",
               "--wet", "0", "--compensate-latency"])
    assert rc == 0
    d, _ = sf.read(tmp_path / "dry.wav", dtype="float32")
    x, _ = sf.read(tmp_path / "in.wav", dtype="float32")  # as stored (16-bit PCM)
    err = np.max(np.abs(d[n // 4: 3 * n // 4] - x[n // 4: 3 * n // 4]))
    assert err < (1e-7 if rate == 48000 else 0.02), err


def test_transfer_cli_errors(tmp_path, small_model, capsys):
    assert main(["transfer", small_model, str(tmp_path / "missing.wav"), str(tmp_path / "o.wav")]) == 2
    (tmp_path / "bad.rtsynth").write_bytes(b"nope")
    sf.write(tmp_path / "in.wav", np.zeros(1000, np.float32), 48000)
    assert main(["transfer", str(tmp_path / "bad.rtsynth"), str(tmp_path / "in.wav"), str(tmp_path / "o.wav")]) == 2
    assert "error" in capsys.readouterr().err
