"""Staff accounts and browser sessions of the web application (`Store` mixin).

Staff accounts (`pbj pengguna`) hold a user name, a display name, roles and an argon2 hash made by the web
application; failed logins are counted and lock the account for a while after too many in a row. A browser session
is stored by the SHA-256 of its cookie value: the staff member logged in with it, if any, and the ids of the
applicant access tokens redeemed in it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from workers.errors import NotFoundError, StaffUserExistsError, StoreError
from workers.store.internals import StoreInternals
from workers.store.models import StaffUser, WebSession
from workers.store.records import StaffUserRecord, WebSessionRecord


class StaffMixin:
    """Staff accounts, login failures and browser sessions."""

    # --- staff accounts -------------------------------------------------------------------------------------------

    def create_staff_user(
        self: StoreInternals, username: str, *, display_name: str, roles: Iterable[str], password_hash: str
    ) -> StaffUserRecord:
        """A new staff account; `StaffUserExistsError` if the user name is taken."""
        now = self.now()
        user = StaffUser(
            username=username,
            display_name=display_name,
            roles=sorted(set(roles)),
            password_hash=password_hash,
            failed_logins=0,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._transaction() as session:
                session.add(user)
                session.flush()
                detail = {"pengguna": username, "peran": user.roles}
                self._audit(session, None, "pengguna.dibuat", "operator", detail)
                return _user_record(user)
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise StaffUserExistsError(f"Pengguna {username} sudah ada.") from exc
            raise

    def list_staff_users(self: StoreInternals) -> list[StaffUserRecord]:
        """Every staff account, by user name."""
        with self._transaction() as session:
            return [_user_record(user) for user in session.scalars(select(StaffUser).order_by(StaffUser.username))]

    def find_staff_user(self: StoreInternals, username: str) -> StaffUserRecord | None:
        """The staff account with this user name, if any."""
        with self._transaction() as session:
            user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
            return None if user is None else _user_record(user)

    def get_staff_user(self: StoreInternals, user_id: int) -> StaffUserRecord | None:
        """The staff account with this id, if any."""
        with self._transaction() as session:
            user = session.get(StaffUser, user_id)
            return None if user is None else _user_record(user)

    def disable_staff_user(self: StoreInternals, username: str) -> StaffUserRecord:
        """Disable the account and end its sessions (idempotent); `NotFoundError` for an unknown user name."""
        with self._transaction() as session:
            user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
            if user is None:
                raise NotFoundError(f"Pengguna {username} tidak ditemukan.")
            if user.disabled_at is None:
                user.disabled_at = user.updated_at = self.now()
                self._audit(session, None, "pengguna.dinonaktifkan", "operator", {"pengguna": username})
            session.execute(delete(WebSession).where(WebSession.staff_user_id == user.id))
            return _user_record(user)

    def record_login_failure(
        self: StoreInternals, user_id: int, *, max_failures: int, lockout: timedelta
    ) -> StaffUserRecord:
        """Count a failed login; the `max_failures`-th in a row locks the account for `lockout`."""
        with self._transaction() as session:
            user = session.get(StaffUser, user_id, with_for_update=True)
            if user is None:
                raise NotFoundError(f"Pengguna {user_id} tidak ditemukan.")
            now = self.now()
            if user.locked_until is not None and now >= user.locked_until:
                user.failed_logins, user.locked_until = 0, None  # an expired lockout starts a fresh count
            user.failed_logins += 1
            if user.failed_logins >= max_failures and user.locked_until is None:
                user.locked_until = now + lockout
                detail = {"pengguna": user.username, "hingga": user.locked_until.isoformat()}
                self._audit(session, None, "pengguna.terkunci", "sistem", detail)
            user.updated_at = now
            return _user_record(user)

    def record_login_success(self: StoreInternals, user_id: int) -> StaffUserRecord:
        """Reset the failure count and note the login."""
        with self._transaction() as session:
            user = session.get(StaffUser, user_id, with_for_update=True)
            if user is None:
                raise NotFoundError(f"Pengguna {user_id} tidak ditemukan.")
            user.failed_logins, user.locked_until = 0, None
            user.last_login_at = user.updated_at = self.now()
            return _user_record(user)

    # --- browser sessions ---------------------------------------------------------------------------------------

    def create_web_session(
        self: StoreInternals,
        id_hash: str,
        *,
        expires_at: datetime,
        staff_user_id: int | None = None,
        access_token_ids: Iterable[int] = (),
    ) -> WebSessionRecord:
        """Store a new session (and drop the sessions that expired meanwhile)."""
        now = self.now()
        with self._transaction() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at <= now))
            row = WebSession(
                id_hash=id_hash,
                staff_user_id=staff_user_id,
                access_token_ids=list(dict.fromkeys(access_token_ids)),
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            return _session_record(row)

    def get_web_session(self: StoreInternals, id_hash: str) -> WebSessionRecord | None:
        """The session with this hash unless it expired."""
        with self._transaction() as session:
            row = session.get(WebSession, id_hash)
            if row is None or self.now() >= row.expires_at:
                return None
            return _session_record(row)

    def touch_web_session(
        self: StoreInternals, id_hash: str, *, expires_at: datetime, access_token_ids: Iterable[int] | None = None
    ) -> WebSessionRecord | None:
        """Extend a live session (and replace its redeemed tokens when given); None if it is gone or expired."""
        with self._transaction() as session:
            row = session.get(WebSession, id_hash)
            now = self.now()
            if row is None or now >= row.expires_at:
                return None
            row.last_seen_at, row.expires_at = now, expires_at
            if access_token_ids is not None:
                row.access_token_ids = list(dict.fromkeys(access_token_ids))
            return _session_record(row)

    def delete_web_session(self: StoreInternals, id_hash: str) -> None:
        """End a session (logout); nothing happens for an unknown one."""
        with self._transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def _user_record(user: StaffUser) -> StaffUserRecord:
    return StaffUserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=tuple(user.roles),
        password_hash=user.password_hash,
        failed_logins=user.failed_logins,
        locked_until=user.locked_until,
        disabled_at=user.disabled_at,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def _session_record(row: WebSession) -> WebSessionRecord:
    return WebSessionRecord(
        id_hash=row.id_hash,
        staff_user_id=row.staff_user_id,
        access_token_ids=tuple(row.access_token_ids),
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )
