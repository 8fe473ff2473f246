"""The workers' exception hierarchy: one base, a subclass per concern, transient errors marked as such.

A job handler fails a job on any `WorkersError`. `is_transient(exc)` tells it whether a retry may help (the
database or an upstream service is unavailable: fail with retries left and a back-off) or not (bad data, a
refused request, a tampered document: retrying cannot help, so the handler may fail with no retries left and
let an incident tell the operator). Messages are in formal Indonesian: operators read them in Operate's
incidents and in the start-up output. No message carries personal data or a secret.
"""


class WorkersError(Exception):
    """Base of every error the workers raise."""

    transient: bool = False


class TransientError(WorkersError):
    """Mixin base: the operation may succeed when retried later (an outage, a timeout, a lock)."""

    transient = True


class SettingsError(WorkersError):
    """A setting is missing or malformed; `setting` names the environment variable."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"Pengaturan {setting}: {message}")
        self.setting = setting


class StoreError(WorkersError):
    """The application store refused or could not perform an operation."""


class NotFoundError(StoreError):
    """A request, document, account or archive the caller named does not exist."""


class PersonAlreadyApplyingError(StoreError):
    """The person of a new submission already appears, in the same role, on another open request (`number`)."""

    def __init__(self, message: str, number: str) -> None:
        super().__init__(message)
        self.number = number


class StoreUnavailableError(StoreError, TransientError):
    """The database could not be reached or was busy; retrying later may succeed."""


class AccessTokenError(StoreError):
    """An applicant's access token is unknown, expired or revoked; `reason` says which (`unknown`, `expired`,
    `revoked`), for the page that explains what to do next."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class StaffUserExistsError(StoreError):
    """A staff account with this user name exists already."""


class DocumentError(WorkersError):
    """A document cannot be stored or read."""


class DocumentTooLargeError(DocumentError):
    """A document exceeds the configured size limit."""


class DocumentIntegrityError(DocumentError):
    """A stored document's content is missing or no longer matches its recorded SHA-256 (tampering or damage)."""


class DocumentStorageUnavailableError(DocumentError, TransientError):
    """The document storage backend could not be reached; retrying later may succeed."""


class ProvisioningError(WorkersError):
    """The provisioning adapter refused a request (bad input, unknown account, a 4xx answer)."""


class ProvisioningUnavailableError(ProvisioningError, TransientError):
    """The provisioning service timed out, could not be reached or answered 5xx/429; retrying may succeed."""


class TokenError(ProvisioningError):
    """A set-password token is unknown, expired, revoked or already used."""


class ArchiveError(WorkersError):
    """An archive could not be written or no longer matches its record."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the failed operation later may succeed."""
    return isinstance(exc, WorkersError) and exc.transient
