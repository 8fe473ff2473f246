"""Security mechanics of every page: response headers (Content-Security-Policy and friends), CSRF tokens, rate limits
and the client address they count by.

- **CSP**: only this application's own scripts, styles, images and fonts (the form-js bundle is built at set-up
  and served from `/aset/`, nothing from a CDN); no inline script, no plugins, no framing, forms post only here.
- **CSRF**: every form carries `csrf`, an HMAC (the secret key) of the browser's session cookie value; a POST
  without it, or with another session's, changes nothing. A POST whose `Origin` names another site is refused too.
- **Rate limits**: a sliding window per client address and purpose (logging in, opening token links), in memory
  of this process, bounded in size.
"""

import hashlib
import hmac
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCUMENT_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'none'"
)
"""For a served document (a checked PDF, JPEG or PNG): the browser's own viewer only, no script of the page."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send `Origin: null` on its own forms
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
CSRF_FIELD = "csrf"


def security_headers(response: web.StreamResponse, *, secure: bool, policy: str = CONTENT_SECURITY_POLICY) -> None:
    """Set the headers every answer carries (HSTS only over HTTPS)."""
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def csrf_token(secret_key: bytes, session_id: str) -> str:
    """The CSRF token of a browser session."""
    return hmac.new(secret_key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: bytes, session_id: str | None, given: str | None) -> bool:
    """Whether a form's token belongs to this browser session."""
    if not session_id or not given:
        return False
    return hmac.compare_digest(csrf_token(secret_key, session_id), given)


def foreign_origin(request: web.Request, app_url_netloc: str) -> bool:
    """Whether a POST's `Origin` header names another site than this application (absent: not foreign)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin == "null"
    netloc = origin.split("://", 1)[-1].rstrip("/")
    return netloc not in {request.host, app_url_netloc}


def client_address(request: web.Request, *, trust_proxy: bool) -> str:
    """Who a request counts for in the rate limits: the peer, or the first `X-Forwarded-For` hop behind a proxy."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote or "?"


@dataclass
class RateLimiter:
    """At most `limit` events per `window` seconds per key; keeps at most `max_keys` keys (the oldest go first)."""

    limit: int
    window: float
    max_keys: int = 10_000
    _events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def hit(self, key: str, now: float | None = None) -> int:
        """Count an event; 0 if allowed, else the seconds until the next one is."""
        now = time.monotonic() if now is None else now
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            self._events[key] = events
            return max(1, int(events[0] + self.window - now) + 1)
        events.append(now)
        self._events[key] = events
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return 0
