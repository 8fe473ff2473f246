"""The commands' one error: a sentence in formal Indonesian for the person at the terminal, and the exit code."""

EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A command could not do what it was asked; `str(error)` is the one line shown on stderr."""

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CommandError):
    """The command line itself is incomplete or contradictory (exit code 2, as argparse's own errors)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_USAGE)


class CredentialsRefusedError(CommandError):
    """The engine refused the credentials of the settings (gRPC UNAUTHENTICATED or PERMISSION_DENIED, HTTP 401 or
    403); the message names the settings to check."""
