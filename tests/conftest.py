"""Suite-wide fixtures: the embedded engine's pytest plugin (`engine`, `zeebe_channel`, `zeebe_client`) and the
engine choice of the backend-agnostic tests (`--engine=embedded|zeebe`, the `backend` fixture: tests/backends/)."""

pytest_plugins = ["engine.testing.pytest_plugin", "tests.backends.plugin"]
