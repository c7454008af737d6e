"""General MIDI instruments: name → program, playable range and expressive style.

The ranges are the comfortable part of each instrument's range (MIDI note numbers), where a
player spends most of the time; the phrase generator walks inside them. Vibrato depth/rate and
the dynamic range of the swells (CC11) follow the instrument family. Instruments without an
entry get a generic two-and-a-half-octave range around middle C, no vibrato and the default
dynamics.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rt_synth.errors import UserError

GM_NAMES = [
    "acoustic grand piano", "bright acoustic piano", "electric grand piano", "honky-tonk piano",
    "electric piano 1", "electric piano 2", "harpsichord", "clavinet",
    "celesta", "glockenspiel", "music box", "vibraphone",
    "marimba", "xylophone", "tubular bells", "dulcimer",
    "drawbar organ", "percussive organ", "rock organ", "church organ",
    "reed organ", "accordion", "harmonica", "tango accordion",
    "acoustic guitar nylon", "acoustic guitar steel", "electric guitar jazz",
    "electric guitar clean", "electric guitar muted", "overdriven guitar",
    "distortion guitar", "guitar harmonics",
    "acoustic bass", "electric bass finger", "electric bass pick", "fretless bass",
    "slap bass 1", "slap bass 2", "synth bass 1", "synth bass 2",
    "violin", "viola", "cello", "contrabass",
    "tremolo strings", "pizzicato strings", "orchestral harp", "timpani",
    "string ensemble 1", "string ensemble 2", "synth strings 1", "synth strings 2",
    "choir aahs", "voice oohs", "synth voice", "orchestra hit",
    "trumpet", "trombone", "tuba", "muted trumpet",
    "french horn", "brass section", "synth brass 1", "synth brass 2",
    "soprano sax", "alto sax", "tenor sax", "baritone sax",
    "oboe", "english horn", "bassoon", "clarinet",
    "piccolo", "flute", "recorder", "pan flute",
    "blown bottle", "shakuhachi", "whistle", "ocarina",
    "lead 1 square", "lead 2 sawtooth", "lead 3 calliope", "lead 4 chiff",
    "lead 5 charang", "lead 6 voice", "lead 7 fifths", "lead 8 bass lead",
    "pad 1 new age", "pad 2 warm", "pad 3 polysynth", "pad 4 choir",
    "pad 5 bowed", "pad 6 metallic", "pad 7 halo", "pad 8 sweep",
    "fx 1 rain", "fx 2 soundtrack", "fx 3 crystal", "fx 4 atmosphere",
    "fx 5 brightness", "fx 6 goblins", "fx 7 echoes", "fx 8 sci-fi",
    "sitar", "banjo", "shamisen", "koto",
    "kalimba", "bagpipe", "fiddle", "shanai",
    "tinkle bell", "agogo", "steel drums", "woodblock",
    "taiko drum", "melodic tom", "synth drum", "reverse cymbal",
    "guitar fret noise", "breath noise", "seashore", "bird tweet",
    "telephone ring", "helicopter", "applause", "gunshot",
]
assert len(GM_NAMES) == 128

ALIASES = {
    "piano": 0, "grandpiano": 0, "organ": 19, "guitar": 24, "nylonguitar": 24,
    "steelguitar": 25, "bass": 32, "doublebass": 43, "upright bass": 43, "harp": 46,
    "strings": 48, "stringensemble": 48, "choir": 52, "voice": 52, "horn": 60, "frenchhorn": 60,
    "sax": 65, "saxophone": 65, "altosax": 65, "tenorsax": 66, "sopranosax": 64,
    "baritonesax": 67, "englishhorn": 69, "corangalais": 69, "panpipes": 75,
}


@dataclass(frozen=True)
class InstrumentStyle:
    """How the phrase generator plays an instrument."""

    low: int              # lowest MIDI note used
    high: int             # highest MIDI note used
    vibrato_cents: tuple  # (min, max) vibrato depth, peak deviation in cents
    vibrato_hz: tuple     # (min, max) vibrato rate
    dynamics: tuple = (45.0, 110.0, 127.0)  # CC11: a swell starts/ends in [0, 1], peaks <= [2]


_NO_VIB = ((0.0, 0.0), (5.0, 5.0))
_STRING_VIB = ((8.0, 30.0), (4.8, 6.5))
_WIND_VIB = ((4.0, 18.0), (4.5, 6.0))
_BRASS_VIB = ((0.0, 10.0), (4.5, 6.0))
_VOICE_VIB = ((15.0, 40.0), (4.5, 6.0))

# program → (low, high, vibrato); programs not listed use DEFAULT_STYLE.
_STYLES = {
    40: (55, 91, _STRING_VIB),   # violin       G3–G6
    41: (48, 81, _STRING_VIB),   # viola        C3–A5
    42: (36, 72, _STRING_VIB),   # cello        C2–C5
    43: (28, 55, _STRING_VIB),   # contrabass   E1–G3
    44: (40, 84, _NO_VIB), 45: (40, 84, _NO_VIB), 46: (36, 91, _NO_VIB),
    48: (43, 84, _STRING_VIB), 49: (43, 84, _STRING_VIB),
    50: (43, 84, _NO_VIB), 51: (43, 84, _NO_VIB),
    52: (48, 79, _VOICE_VIB), 53: (48, 79, _VOICE_VIB), 54: (48, 79, _NO_VIB),
    56: (54, 82, _BRASS_VIB),    # trumpet      F#3–Bb5
    57: (40, 72, _BRASS_VIB),    # trombone     E2–C5
    58: (28, 58, _BRASS_VIB),    # tuba         E1–Bb3
    59: (54, 82, _BRASS_VIB),    # muted trumpet
    60: (41, 77, _BRASS_VIB),    # french horn  F2–F5
    61: (41, 77, _BRASS_VIB),
    64: (56, 87, _WIND_VIB),     # soprano sax
    65: (49, 80, _WIND_VIB),     # alto sax     C#3–Ab5
    66: (44, 75, _WIND_VIB),     # tenor sax
    67: (36, 68, _WIND_VIB),     # baritone sax
    68: (58, 88, _WIND_VIB),     # oboe         Bb3–E6
    69: (52, 81, _WIND_VIB),     # english horn
    70: (34, 72, _WIND_VIB),     # bassoon      Bb1–C5
    71: (50, 86, ((0.0, 4.0), (5.0, 5.5))),  # clarinet D3–D6, barely any vibrato
    72: (74, 103, _WIND_VIB),    # piccolo
    73: (60, 93, _WIND_VIB),     # flute        C4–A6
    74: (72, 98, _NO_VIB),       # recorder
    75: (60, 93, _WIND_VIB),     # pan flute
    77: (55, 86, _WIND_VIB),     # shakuhachi
    78: (72, 96, _WIND_VIB),     # whistle
    79: (72, 96, _NO_VIB),       # ocarina
    110: (55, 91, _STRING_VIB),  # fiddle
}
DEFAULT_STYLE = InstrumentStyle(48, 84, *_NO_VIB)

# program → dynamics (CC11 range of a phrase's swells: start/end low..high, peak up to top).
# Strings and the rest keep the default (45, 110, 127), so their renders are unchanged. The
# winds follow the real instruments' dynamic ranges: the clarinet fades to almost nothing and
# has the widest range, the flute is narrow and never very loud, brass rarely plays very soft.
_DYNAMICS = {
    56: (55.0, 115.0, 127.0),   # trumpet
    59: (45.0, 105.0, 120.0),   # muted trumpet
    64: (50.0, 112.0, 127.0), 65: (50.0, 112.0, 127.0),   # soprano, alto sax
    66: (50.0, 112.0, 127.0), 67: (50.0, 112.0, 127.0),   # tenor, baritone sax
    71: (30.0, 110.0, 127.0),   # clarinet
    73: (50.0, 100.0, 118.0),   # flute
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_KEY = {_key(n): i for i, n in enumerate(GM_NAMES)}
_BY_KEY.update({_key(k): v for k, v in ALIASES.items()})


def resolve_program(instrument: str | int) -> int:
    """GM program number 0-127 for a name ("violin", "French horn", "alto_sax"), an alias
    ("sax", "strings") or a number ("40")."""
    text = str(instrument).strip()
    if text.isdigit():
        program = int(text)
        if not 0 <= program <= 127:
            raise UserError(f"instrument program {program} is outside 0-127")
        return program
    key = _key(text)
    if key in _BY_KEY:
        return _BY_KEY[key]
    matches = sorted({i for k, i in _BY_KEY.items() if key and key in k})
    if len(matches) == 1:
        return matches[0]
    hint = (f"it matches several: {', '.join(GM_NAMES[i] for i in matches[:8])}" if matches
            else "examples: violin, viola, cello, contrabass, flute, oboe, clarinet, bassoon, "
                 "trumpet, trombone, french horn, alto sax, choir aahs")
    raise UserError(f"unknown instrument {instrument!r}: give a General MIDI name or a program "
                    f"number 0-127 ({hint})")


def instrument_style(program: int) -> InstrumentStyle:
    if program not in _STYLES:
        return DEFAULT_STYLE
    low, high, (vib_cents, vib_hz) = _STYLES[program]
    return InstrumentStyle(low, high, vib_cents, vib_hz, _DYNAMICS.get(program, DEFAULT_STYLE.dynamics))


def program_name(program: int) -> str:
    return GM_NAMES[program]
