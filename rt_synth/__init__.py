"""rt-synth: real-time neural audio synthesis (DDSP and RAVE-style), trained in PyTorch,
streamed by a C++ core.

Playing a shipped model needs only the base install (numpy, soundfile, the compiled core);
training and exporting need the ``[train]`` extra (torch).
"""

__version__ = "0.1.0"

DEFAULT_SAMPLE_RATE = 48_000
