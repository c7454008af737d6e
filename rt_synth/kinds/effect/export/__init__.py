"""Effect exports: native .rtsynth (the core plays the lstm arch so far)."""
