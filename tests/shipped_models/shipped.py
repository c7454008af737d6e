"""The shipped DDSP instruments (exports/NAME.*), one list for every test of shipped models,
and the General MIDI instrument each was trained on (for rendering unseen phrases of it)."""
from __future__ import annotations

from pathlib import Path

EXPORTS = Path(__file__).resolve().parents[2] / "exports"

# name -> the General MIDI instrument of its training data (rt-synth data render --instrument)
DDSP_INSTRUMENTS = {
    "violin-live-ddsp": "violin",
    "cello-ddsp": "cello",
    "flute-ddsp": "flute",
    "clarinet-ddsp": "clarinet",
    "trumpet-ddsp": "trumpet",
    "alto-sax-ddsp": "alto sax",
    "oboe-ddsp": "oboe",
}
SHIPPED_DDSP = list(DDSP_INSTRUMENTS)
RAVE_MODEL = EXPORTS / "violin-rave.rtsynth"
