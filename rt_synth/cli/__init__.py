"""The ``rt-synth`` command line. One module per command group; each has ``register(sub)``.

Command modules import heavy dependencies (torch, numba) inside their handlers, never at
module import, so ``rt-synth --help`` and playing commands start fast and need no torch.
"""
