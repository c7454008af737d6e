"""rt_synth.data."""
