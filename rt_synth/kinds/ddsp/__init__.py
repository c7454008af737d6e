"""Kind "ddsp": a small causal network turns pitch and loudness into harmonic amplitudes and
filtered-noise bands (docs/ddsp-maths.md)."""
