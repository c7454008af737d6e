"""Fixtures of the C ABI tests: tests/embed_fixtures.py (shared with tests/plugins)."""
from embed_fixtures import corrupt_model, embed_build, tiny_model  # noqa: F401
