"""Kind "effect": waveform in, waveform out (amp and pedal emulation; Wright et al. 2020,
Neural Amp Modeler). docs/effect-models.md."""
