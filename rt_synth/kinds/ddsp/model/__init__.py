"""rt_synth.kinds.ddsp.model."""
