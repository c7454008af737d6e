"""Fixtures of the plugin tests: tests/embed_fixtures.py (shared with tests/capi)."""
from embed_fixtures import corrupt_model, effect_model, embed_build, tiny_model  # noqa: F401
