"""Staff passwords: argon2id through argon2-cffi (the reference implementation's maintained Python binding), with
its default parameters (RFC 9106's second recommendation). `pbj pengguna` hashes, the login page verifies; both run
the hashing in a thread, never on the event loop."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("tidak-ada-pengguna-dengan-kata-sandi-ini")


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash (an unknown user) a dummy hash is checked, so the answer takes
    as long either way."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, confirmation: str | None = None) -> str | None:
    """Why a new password is not accepted (formal Indonesian), or None."""
    if len(password) < MIN_LENGTH:
        return f"Kata sandi minimal {MIN_LENGTH} karakter."
    if len(password) > MAX_LENGTH:
        return f"Kata sandi paling panjang {MAX_LENGTH} karakter."
    if not password.strip():
        return "Kata sandi tidak boleh hanya berisi spasi."
    if confirmation is not None and confirmation != password:
        return "Konfirmasi kata sandi tidak sama dengan kata sandi."
    return None
