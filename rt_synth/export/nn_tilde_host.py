"""nn~'s arithmetic around a TorchScript module, in Python: what the exports must survive.

nn~ (the reference host for TorchScript models; reference-figures.md) does, per method:
- rounds its buffer N up to a power of two;
- reshapes each inlet's N samples to (N / in_ratio, in_ratio) and keeps the LAST sample of
  each group (so a ratio that does not divide N fails on every buffer);
- calls the method on [batch, in_channels, N / in_ratio] and expects
  [batch, out_channels, N / out_ratio], each output value held out_ratio samples;
- sets an attribute by converting the message's atoms with the type codes in
  ``<attr>_params`` (0 bool, 1 int, 2 float, 3 str; 4 tensor and 5 buffer are not settable
  from a message) and calling ``set_<attr>(...)``, which must return 0.

Tests and the exporters' self-tests run every shipped ``.ts`` through this class at the
buffers nn~ uses (2048, 4096, 8192), so an export that nn~ would reject fails here first.
"""
from __future__ import annotations

# nn~'s attribute type codes (the values of ``<attr>_params``); the exporters use these names.
TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_TENSOR, TYPE_BUFFER = 0, 1, 2, 3, 4, 5
# How a message atom becomes an argument, per settable type code.
_CONVERT = {TYPE_BOOL: bool, TYPE_INT: int, TYPE_FLOAT: float, TYPE_STR: str}


class NNTildeError(RuntimeError):
    """What nn~ would print as a perform or attribute error."""


def _next_power_of_two(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


class NNTildeHost:
    def __init__(self, module, method: str = "forward", buffer_size: int = 4096, batch: int = 1):
        self.module = module
        self.method = method
        if method not in list(module.get_methods()):
            raise NNTildeError(f"method {method!r} not in get_methods() = {module.get_methods()}")
        params = [int(v) for v in getattr(module, f"{method}_params")]
        if len(params) != 4:
            raise NNTildeError(f"{method}_params must hold 4 values, has {params}")
        self.in_channels, self.in_ratio, self.out_channels, self.out_ratio = params
        self.buffer_size = _next_power_of_two(max(1, int(buffer_size)))
        self.batch = batch
        for name, ratio in (("in_ratio", self.in_ratio), ("out_ratio", self.out_ratio)):
            if ratio < 1 or self.buffer_size % ratio:
                raise NNTildeError(f"{method}: {name} {ratio} does not divide nn~'s buffer "
                                   f"{self.buffer_size}: silence and an error every buffer")

    def process(self, x):
        """x: [batch, in_channels, N] audio-rate inlets → [batch, out_channels, N] outlets."""
        import torch

        b, c, n = x.shape
        if c != self.in_channels or n != self.buffer_size:
            raise NNTildeError(f"expected [B, {self.in_channels}, {self.buffer_size}], got {tuple(x.shape)}")
        decimated = x.reshape(b, c, n // self.in_ratio, self.in_ratio)[..., -1].contiguous()
        with torch.inference_mode():
            y = getattr(self.module, self.method)(decimated)
        want = (b, self.out_channels, n // self.out_ratio)
        if tuple(y.shape) != want:
            raise NNTildeError(f"{self.method} returned {tuple(y.shape)}, nn~ expects {want}")
        return y.repeat_interleave(self.out_ratio, dim=2)

    def set_attribute(self, name: str, *atoms) -> int:
        """``set NAME atoms...``: convert with the type codes, call set_NAME; its return value."""
        if name not in list(self.module.get_attributes()):
            raise NNTildeError(f"attribute {name!r} not in get_attributes()")
        codes = [int(v) for v in getattr(self.module, f"{name}_params")]
        if len(codes) != len(atoms):
            raise NNTildeError(f"{name} takes {len(codes)} argument(s), got {len(atoms)}")
        args = []
        for code, atom in zip(codes, atoms):
            if code not in _CONVERT:
                raise NNTildeError(f"{name}: bad type id : {code} (not settable from a message)")
            args.append(_CONVERT[code](atom))
        return int(getattr(self.module, f"set_{name}")(*args))

    def get_attribute(self, name: str) -> list:
        return list(getattr(self.module, f"get_{name}")())


def self_test(module, buffer_size: int = 2048) -> None:
    """What nn~ does with an exported module, at one of its power-of-two buffers (a multiple of
    every ratio of the module): every method at batch 1 and 4 with its declared channels and
    ratios (shapes, finiteness), then every attribute read and set back through its type codes;
    then the module's reset(). Raises RuntimeError on the first thing nn~ would trip over."""
    import torch

    for method in module.get_methods():
        for batch in (1, 4):
            host = NNTildeHost(module, method, buffer_size=buffer_size, batch=batch)
            y = host.process(torch.zeros(batch, host.in_channels, host.buffer_size))
            if tuple(y.shape) != (batch, host.out_channels, host.buffer_size) or not torch.isfinite(y).all():
                raise RuntimeError(f"TorchScript self-test of {method}: got {tuple(y.shape)}")
    for attr in module.get_attributes():
        host = NNTildeHost(module, module.get_methods()[0], buffer_size=buffer_size)
        if host.set_attribute(attr, *getattr(module, f"get_{attr}")()) != 0:
            raise RuntimeError(f"TorchScript self-test: set_{attr} refused its own value")
    module.reset()
