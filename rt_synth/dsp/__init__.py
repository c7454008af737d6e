"""rt_synth.dsp."""
