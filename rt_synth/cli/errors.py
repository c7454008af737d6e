"""The CLI's error type is the library's (rt_synth.errors): library code never imports the CLI."""
from rt_synth.errors import UserError

__all__ = ["UserError"]
