"""The security mechanics on their own: where a login may send the browser on to, CSRF tokens, the rate limiter."""

import pytest

from web.pages.staff import _next_path
from web.security import RateLimiter, csrf_token, csrf_valid

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        ("/tugas/2251799813685290", "/tugas/2251799813685290"),
        ("//other.site/x", "/tugas"),
        ("/\t/other.site", "/tugas"),
        ("/\\other.site", "/tugas"),
        ("https://other.site/", "/tugas"),
        ("", "/tugas"),
    ],
)
def test_after_login_only_a_path_of_this_application(given: str, goes_to: str) -> None:
    """`?lanjut=` never sends the browser to another site (an open redirect), also with tricks browsers undo."""
    assert _next_path(given) == goes_to


def test_a_csrf_token_belongs_to_one_session() -> None:
    """Valid for its own session only; nothing valid without a session or a token."""
    token = csrf_token(KEY, "sesi-a")
    assert csrf_valid(KEY, "sesi-a", token)
    assert not csrf_valid(KEY, "sesi-b", token)
    assert not csrf_valid(b"x" * 32, "sesi-a", token)
    assert not csrf_valid(KEY, None, token) and not csrf_valid(KEY, "sesi-a", None)


def test_the_rate_limiter_counts_per_key_in_a_sliding_window_and_stays_bounded() -> None:
    """`limit` events per window per key, then the seconds to wait; old events slide out; at most `max_keys` kept."""
    limiter = RateLimiter(limit=2, window=60.0, max_keys=3)
    assert [limiter.hit("a", now=0), limiter.hit("a", now=1), limiter.hit("a", now=2)] == [0, 0, 59]
    assert limiter.hit("b", now=2) == 0
    assert limiter.hit("a", now=60.5) == 0  # the first event slid out
    for key in ("c", "d", "e"):
        limiter.hit(key, now=61)
    assert len(limiter._events) == 3
