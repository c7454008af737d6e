"""rt_synth.train."""
