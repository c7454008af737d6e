"""Benchmarks of the core against the runtimes users would otherwise pick."""
