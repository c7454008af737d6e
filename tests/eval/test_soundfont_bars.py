"""scripts/analysis/soundfont_bars.py: issue 13's timbre bar without a model. Two distinct real
violins are far apart; MuseScore General's alto sax is (nearly) FluidR3's own samples, which
is why exports/README.md does not count the alto sax's bar."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("soundfont_bars", ROOT / "scripts" / "analysis" / "soundfont_bars.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shared_samples_give_a_bar_far_below_a_distinct_instrument():
    bars = _module()
    violin = bars.bar("violin", 8.0, 9137)
    sax = bars.bar("alto sax", 8.0, 9137)
    assert violin["program"] == 40 and sax["program"] == 65
    assert violin["frames"] > 100 and sax["frames"] > 100
    assert violin["mcd_db"] > 25.0, violin  # two real violins: another instrument
    assert sax["mcd_db"] < 0.6 * violin["mcd_db"], (sax, violin)  # one sample set twice


def test_command_line_prints_a_table(capsys):
    assert _module().main(["violin", "--seconds", "4"]) == 0
    out = capsys.readouterr().out
    assert "| violin |" in out
