"""The GM percussion loop: every event on MIDI channel 10, hits on a sixteenth grid, and it
renders through render_phrases as drums (transients, decaying between hits)."""
from __future__ import annotations

import numpy as np

from rt_synth.data.drum_loop import DRUM_CHANNEL, KICK, SNARE, generate_drum_loop
from rt_synth.data.phrases import TICKS_PER_SECOND
from tests_data_helpers import needs_fluidsynth

SR = 48000


def test_drum_loop_midi():
    loop = generate_drum_loop(np.random.default_rng(3), 6.0, SR)
    msgs = loop.timed_messages()
    assert all(m.channel == DRUM_CHANNEL == 9 for _, m in msgs)
    ticks = [t for t, _ in msgs]
    assert ticks == sorted(ticks)
    keys = {k for _, k, _ in loop.hits}
    assert KICK in keys and SNARE in keys
    assert max(t for t, _, _ in loop.hits) <= (6.0 - 0.5) * TICKS_PER_SECOND
    assert loop.to_midi().length <= 6.0 + 1e-6
    again = generate_drum_loop(np.random.default_rng(3), 6.0, SR)
    assert again.hits == loop.hits


@needs_fluidsynth
def test_drum_loop_renders_as_percussion():
    from rt_synth.data.render import render_phrases

    loop = generate_drum_loop(np.random.default_rng(3), 4.0, SR)
    audio = render_phrases([loop], sample_rate=SR)[0]
    assert len(audio) == loop.n_samples and np.abs(audio).max() > 0.05
    # every kick is a transient: the 10 ms after it are far louder than the 10 ms before
    hop = SR // 100
    for tick, key, _ in loop.hits:
        s = tick * SR // TICKS_PER_SECOND
        if key == KICK and s > hop:
            before = np.sqrt(np.mean(audio[s - hop:s] ** 2))
            after = np.sqrt(np.mean(audio[s:s + hop] ** 2))
            assert after > 2.0 * before, (tick, before, after)
