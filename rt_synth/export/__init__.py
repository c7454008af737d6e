"""rt_synth.export."""
