"""The engine's exception hierarchy: one base, one subclass per gRPC status the gateway answers with."""


class EngineError(Exception):
    """Base of every error the embedded engine raises."""


class InvalidArgumentError(EngineError):
    """The request is malformed: bad BPMN, bad JSON, a blank job type (gRPC INVALID_ARGUMENT)."""


class NotFoundError(EngineError):
    """A job, process definition, process instance, incident or user task does not exist (NOT_FOUND)."""


class FailedPreconditionError(EngineError):
    """The target exists but is not in a state that allows the command (FAILED_PRECONDITION)."""


class AlreadyExistsError(EngineError):
    """A message with the same id is still buffered (ALREADY_EXISTS)."""


class ResourceExhaustedError(EngineError):
    """The engine applies back pressure (RESOURCE_EXHAUSTED)."""


class DeadlineExceededError(EngineError):
    """A request that waits for a result did not get it in time (DEADLINE_EXCEEDED)."""


class UnimplementedError(EngineError):
    """The RPC or feature is not implemented by the embedded engine (UNIMPLEMENTED)."""
