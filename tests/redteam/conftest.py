"""The red-team battery runs on the hostile battery's harness: the real room, embedded defaults, the default model."""

from tests.hostile.conftest import hostile_env  # noqa: F401  (a fixture, used by name)
