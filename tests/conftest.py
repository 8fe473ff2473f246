"""Suite-wide fixtures: the embedded engine's pytest plugin (`engine`, `zeebe_channel`, `zeebe_client`)."""

pytest_plugins = ["engine.testing.pytest_plugin"]
