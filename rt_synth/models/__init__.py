"""rt_synth.models."""
