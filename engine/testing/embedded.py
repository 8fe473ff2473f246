"""The test API's EmbeddedEngine: the product's embedded engine (engine/embedded.py) with assertions on top."""

from engine.embedded import POLL_GRACE_SECONDS
from engine.embedded import EmbeddedEngine as _EmbeddedEngine
from engine.testing.assertions import ProcessInstanceAssert

__all__ = ["POLL_GRACE_SECONDS", "EmbeddedEngine"]


class EmbeddedEngine(_EmbeddedEngine):
    """An engine serving gRPC (and REST) on loopback, clock controlled unless told otherwise, with
    `assert_that(process_instance_key)` for tests."""

    async def __aenter__(self) -> "EmbeddedEngine":
        await super().__aenter__()
        return self

    def assert_that(self, process_instance_key: int) -> ProcessInstanceAssert:
        return ProcessInstanceAssert(self.engine, process_instance_key)
