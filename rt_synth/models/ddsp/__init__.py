"""rt_synth.models.ddsp."""
