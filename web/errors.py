"""The web application's exceptions: one base; each carries the HTTP status and the Indonesian page it shows."""


class WebError(Exception):
    """A request the application refuses: `status`, a page title and a message for the person (formal
    Indonesian, no personal data), and optionally what to do next (`hint`)."""

    status: int = 400
    title: str = "Permintaan tidak dapat diproses"

    def __init__(self, message: str, *, hint: str | None = None, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if title is not None:
            self.title = title


class BadRequestError(WebError):
    """Malformed input that no form produces (a tampered request)."""


class CsrfError(WebError):
    """A form without the session's CSRF token: nothing is changed."""

    status = 403
    title = "Formulir kedaluwarsa"


class ForbiddenError(WebError):
    """The session may not see this page: another applicant's request, a staff page without the role."""

    status = 403
    title = "Halaman tidak dapat dibuka"


class NotFoundPageError(WebError):
    """No such page or object (said the same way whether it exists for someone else or not at all)."""

    status = 404
    title = "Halaman tidak ditemukan"


class GoneLinkError(WebError):
    """A link whose token expired, was used or was replaced."""

    status = 410
    title = "Tautan tidak dapat digunakan lagi"


class TooLargeError(WebError):
    """An upload larger than the application accepts."""

    status = 413
    title = "Berkas terlalu besar"


class TooManyRequestsError(WebError):
    """Too many attempts from one address in a short time (`retry_after` seconds)."""

    status = 429
    title = "Terlalu banyak percobaan"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnavailableError(WebError):
    """The process engine or the store does not answer; nothing was changed."""

    status = 503
    title = "Layanan sedang tidak tersedia"
