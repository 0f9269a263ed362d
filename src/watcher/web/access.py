"""Letting people in: throttled password checks and server-side sessions, over the store.

Throttling counts failed attempts per client address and per user name, for the
login form and HTTP Basic alike. After ``login_delay_after`` failures each new
attempt must wait 1, 2, 4 … seconds after the last one (earlier ones get 429 with
Retry-After, unchecked); after ``login_lock_after`` failures the address or name is
locked for ``login_lock_s`` and even the right password is refused. A success
clears both counts; failures are forgotten ``login_forget_s`` after the last one.
The client address is the TCP peer (`watcher serve` trusts no proxy headers).

Sessions are random cookies whose sha256 is stored with the user, the password
they were opened under, and when they were opened and last used; a session ends
at logout, when the password changes, on "sign out everywhere", after
``session_idle_s`` unused and ``session_max_age_s`` after login.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.settings import Settings
from watcher.store.auth import (
    ThrottleRule,
    clear_login_failures,
    create_session,
    end_session,
    end_stale_sessions,
    end_user_sessions,
    find_session,
    login_wait,
    record_login_failure,
    touch_session,
)
from watcher.web.auth import Authenticator, Principal, session_id_of

log = logging.getLogger(__name__)

# last_seen_at is written at most this often per session (not on every request).
_TOUCH_EVERY_S = 60.0


class LoginThrottled(Exception):
    """Too many failed logins from this address or for this name: answered with 429."""

    def __init__(self, retry_after_s: float, *, locked: bool) -> None:
        super().__init__(f"retry after {retry_after_s:g} s")
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        self.locked = locked


def throttle_rule(settings: Settings) -> ThrottleRule:
    """The throttling rule the settings describe."""
    return ThrottleRule(delay_after=settings.login_delay_after, lock_after=settings.login_lock_after,
                        lock_s=settings.login_lock_s, forget_s=settings.login_forget_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """Password checks under the throttle, and sessions, for one app (built by create_app)."""

    engine: Engine
    auth: Authenticator
    rule: ThrottleRule
    idle_s: float
    max_age_s: float
    clock: Callable[[], datetime]

    def _keys(self, address: str, user: str) -> list[tuple[str, str]]:
        name = hashlib.sha256(user.casefold().encode("utf-8")).hexdigest()[:40]
        return [(f"address:{address}"[:80], "address"), (f"user:{name}", "user")]

    def _who(self, key: str, address: str, user: str) -> str:
        if key.startswith("address:"):
            return f"client address {address}"
        # Only the configured name is written down: another "name" may be a mistyped password.
        return f"user {user!r}" if user == self.auth.user else "an unknown user name"

    def attempt(self, *, address: str, user: str, password: str) -> bool:
        """Whether ``user``/``password`` may log in now; raises LoginThrottled while delayed or locked."""
        correct = self.auth.check_password(user, password)  # always compared, in constant time
        keys = self._keys(address, user)
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            wait = login_wait(session=session, keys=[k for k, _ in keys], rule=self.rule, now=now)
            if wait.seconds > 0:
                raise LoginThrottled(wait.seconds, locked=wait.locked)
            if correct:
                if wait.counted:
                    clear_login_failures(session=session, keys=[k for k, _ in keys])
                return True
            _wait, locked = record_login_failure(session=session, keys=keys, rule=self.rule, now=now)
        log.info("admin login failed from %s", address)
        for key in locked:
            log.warning("admin login locked for %s until %s after %d failed attempts",
                        self._who(key, address, user),
                        (now + timedelta(seconds=self.rule.lock_s)).isoformat(timespec="seconds"),
                        self.rule.lock_after)
        return False

    # --- sessions --------------------------------------------------------------------------

    def open_session(self, user: str) -> str:
        """Store a new session for ``user``; returns the cookie value (only its hash is kept)."""
        cookie = self.auth.new_session_cookie()
        session_id = session_id_of(cookie)
        assert session_id is not None
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            end_stale_sessions(session=session, idle_before=now - timedelta(seconds=self.idle_s),
                               created_before=now - timedelta(seconds=self.max_age_s))
            create_session(session=session, session_id=session_id, user=user,
                           password_tag=self.auth.password_tag, now=now)
        return cookie

    def session_principal(self, cookie: str | None) -> Principal | None:
        """The user of a live session cookie; an expired or revoked one is None (and removed)."""
        session_id = session_id_of(cookie)
        if session_id is None or not self.auth.required:
            return None
        now = self.clock()
        with Session(self.engine) as session:
            record = find_session(session=session, session_id=session_id)
            if record is None:
                return None
            alive = (record.user == self.auth.user and record.password_tag == self.auth.password_tag
                     and now - record.created_at < timedelta(seconds=self.max_age_s)
                     and now - record.last_seen_at < timedelta(seconds=self.idle_s))
            if not alive:
                end_session(session=session, session_id=session_id)
                session.commit()
                return None
            if now - record.last_seen_at >= timedelta(seconds=min(_TOUCH_EVERY_S, self.idle_s / 10)):
                touch_session(session=session, session_id=session_id, now=now)
                session.commit()
        return Principal(user=record.user, via="session", session_id=session_id)

    def end(self, session_id: str) -> None:
        """End one session (logout)."""
        with Session(self.engine) as session, session.begin():
            end_session(session=session, session_id=session_id)

    def end_all(self, user: str) -> int:
        """End every session of ``user`` (sign out everywhere); how many there were."""
        with Session(self.engine) as session, session.begin():
            count = end_user_sessions(session=session, user=user)
        log.warning("signed out everywhere: %d session(s) of %r ended", count, user)
        return count
