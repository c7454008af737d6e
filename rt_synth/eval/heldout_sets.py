"""The held-out inputs of a transfer evaluation, each with its reference on the training violin.

Pitched sets (docs/rave-heldout.md): for each instrument, unseen phrases from the training
renderer's phrase generator (rt_synth.data.render.generate_phrases: the instrument's range,
vibrato and dynamics; seed 9137 by default, which no recipe uses), rendered

    input       on the instrument, from a soundfont the project never trains on (MuseScore
                General): what is played into the model
    reference   the same MIDI on the training instrument (GM violin, program 40) from the
                training soundfont (FluidR3_GM): "the same performance on the training violin"

Probe sets (no single f0): a GM percussion loop (channel 10), noise bursts, and two-note violin
chords; their input is scored against itself (reconstruction), the chords also against
their rendering on the training violin.

Everything is rendered in two FluidSynth runs (one per soundfont; rt_synth.data.render.
render_phrases), at the models' rate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_SEED = 9137
PITCHED = ("violin", "flute", "clarinet", "trumpet")
PROBES = ("drums", "noise", "chord")
REFERENCE_PROGRAM = 40  # GM violin: the instrument the violin models train on


@dataclass
class HeldoutSet:
    name: str                     # "violin", "flute", ..., "drums", "noise", "chord"
    pitched: bool                 # f0 is defined (one melodic line)
    names: list = field(default_factory=list)        # phrase names
    inputs: list = field(default_factory=list)       # float32 arrays: what the model hears
    references: list = field(default_factory=list)   # training violin, or None (probe: itself)

    @property
    def seconds(self) -> float:
        return sum(len(x) for x in self.inputs)

    def write(self, folder: Path, sample_rate: int) -> None:
        import soundfile as sf

        folder.mkdir(parents=True, exist_ok=True)
        for name, x, r in zip(self.names, self.inputs, self.references):
            sf.write(folder / f"{name}.input.wav", x, sample_rate, subtype="FLOAT")
            if r is not None:
                sf.write(folder / f"{name}.reference.wav", r, sample_rate, subtype="FLOAT")


def render_sets(instruments=PITCHED, seconds: float = 60.0, probes=PROBES, probe_seconds: float = 20.0,
                seed: int = DEFAULT_SEED, input_soundfont: str | None = None,
                training_soundfont: str | None = None, sample_rate: int = 48000) -> list[HeldoutSet]:
    """Render the pitched sets (each `seconds` of phrases) and the probe sets."""
    from rt_synth.data.drum_loop import generate_drum_loop
    from rt_synth.data.instruments import program_name, resolve_program
    from rt_synth.data.render import find_soundfont, generate_phrases, render_phrases
    from rt_synth.eval.probe_signals import chord_phrase, noise_bursts
    from rt_synth.eval.timbre_distance import TRAINING_SOUNDFONT, find_other_soundfont

    other = find_other_soundfont(input_soundfont)
    training = find_soundfont(training_soundfont or (TRAINING_SOUNDFONT if Path(TRAINING_SOUNDFONT).is_file()
                                                     else None))
    sets = []
    inputs_midi, inputs_dest = [], []
    refs_midi, refs_dest = [], []
    for inst in instruments:
        program = resolve_program(inst)
        phrases = generate_phrases(program, seconds, seed, sample_rate)
        s = HeldoutSet(program_name(program), True, [f"phrase_{k:04d}" for k in range(len(phrases))])
        s.inputs, s.references = [None] * len(phrases), [None] * len(phrases)
        for k, ph in enumerate(phrases):
            inputs_midi.append(ph)
            inputs_dest.append((s, "inputs", k))
            refs_midi.append(ph.with_program(REFERENCE_PROGRAM))
            refs_dest.append((s, "references", k))
        sets.append(s)
    for probe in probes:
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1000 + PROBES.index(probe)]))
        s = HeldoutSet(probe, False, [probe], [None], [None])
        if probe == "drums":
            inputs_midi.append(generate_drum_loop(rng, probe_seconds, sample_rate))
            inputs_dest.append((s, "inputs", 0))
        elif probe == "noise":
            s.inputs[0] = noise_bursts(rng, probe_seconds, sample_rate)
        elif probe == "chord":
            ph = chord_phrase(rng, probe_seconds, sample_rate, program=REFERENCE_PROGRAM)
            inputs_midi.append(ph)
            inputs_dest.append((s, "inputs", 0))
            refs_midi.append(ph)
            refs_dest.append((s, "references", 0))
        else:
            from rt_synth.errors import UserError

            raise UserError(f"unknown probe set {probe!r}: choose from {', '.join(PROBES)}")
        sets.append(s)
    for midi, dest, sf2 in ((inputs_midi, inputs_dest, other), (refs_midi, refs_dest, training)):
        if midi:
            for audio, (s, attr, k) in zip(render_phrases(midi, sf2, sample_rate), dest):
                getattr(s, attr)[k] = audio
    return sets
