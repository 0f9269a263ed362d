"""Who may use the admin page: HTTP Basic or a signed session cookie, plus CSRF tokens and the feed token.

With no WATCHER_ADMIN_PASSWORD the page is open, but `watcher serve` then binds
127.0.0.1 only and requests must name a loopback host (so a DNS-rebinding page
cannot reach it through a name of its own).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from watcher.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "watcher_session"
CSRF_COOKIE = "watcher_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FEED_TOKEN_HEADER = "x-watcher-token"
SESSION_MAX_AGE_S = 12 * 3600
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated user and how they proved it (basic, session, token or local)."""

    user: str
    via: str


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def is_loopback_host(host_header: str | None) -> bool:
    """Whether a Host header names the loopback interface (port ignored)."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in LOOPBACK_HOSTS


class Authenticator:
    """Checks credentials, signs sessions and derives CSRF and feed tokens from one secret."""

    def __init__(self, settings: Settings) -> None:
        self.user = settings.admin_user
        self._password = settings.admin_password.get_secret_value() if settings.admin_password else None
        if settings.session_secret is not None:
            secret = settings.session_secret.get_secret_value()
        else:
            # Without a configured secret, sessions and CSRF tokens last until the server restarts.
            secret = secrets.token_urlsafe(32)
            log.info("WATCHER_SESSION_SECRET is not set: sessions end when the server restarts")
        self._sessions = URLSafeTimedSerializer(secret, salt="watcher-session")
        self._csrf_key = hashlib.sha256(b"watcher-csrf\x00" + secret.encode("utf-8")).digest()
        # A changed password ends every session signed under the old one.
        self._password_tag = hmac.new(secret.encode("utf-8"), (self._password or "").encode("utf-8"),
                                      hashlib.sha256).hexdigest()[:16]
        self.secure_cookies = settings.public_url.startswith("https://")

    @property
    def required(self) -> bool:
        """Whether a password is set (otherwise the page is open on loopback only)."""
        return self._password is not None

    def check_password(self, user: str, password: str) -> bool:
        """Constant-time comparison of both fields (both are always compared)."""
        if self._password is None:
            return False
        user_ok = _eq(user, self.user)
        password_ok = _eq(password, self._password)
        return user_ok and password_ok

    def from_basic(self, authorization: str | None) -> Principal | None:
        """The user of a valid ``Authorization: Basic`` header."""
        if not authorization or not authorization[:6].lower() == "basic ":
            return None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep or not self.check_password(user, password):
            return None
        return Principal(user=user, via="basic")

    def session_value(self, user: str) -> str:
        """A signed, timestamped session cookie value for ``user``."""
        return self._sessions.dumps({"u": user, "p": self._password_tag})

    def from_session(self, cookie: str | None) -> Principal | None:
        """The user of a valid, unexpired session cookie."""
        if not cookie or self._password is None:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not _eq(str(data.get("u", "")), self.user) \
                or not _eq(str(data.get("p", "")), self._password_tag):
            return None
        return Principal(user=self.user, via="session")

    @staticmethod
    def new_nonce() -> str:
        """A fresh random value for the CSRF cookie."""
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str) -> str:
        """The token forms carry: an HMAC of the browser's CSRF cookie, so a cross-site page cannot know it."""
        return hmac.new(self._csrf_key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_valid(self, nonce: str | None, token: str | None) -> bool:
        """Whether ``token`` belongs to the CSRF cookie ``nonce``."""
        if not nonce or not token:
            return False
        return _eq(self.csrf_token(nonce), token)

    @property
    def feed_token(self) -> str | None:
        """The read-only token a feed reader may send in X-Watcher-Token (or as a Bearer token)."""
        if self._password is None:
            return None
        return hmac.new(self._csrf_key, b"feed\x00" + self._password.encode("utf-8"),
                        hashlib.sha256).hexdigest()[:40]

    def from_feed_token(self, token: str | None) -> Principal | None:
        """The principal of a valid feed token."""
        expected = self.feed_token
        if not token or expected is None or not _eq(token.strip(), expected):
            return None
        return Principal(user=self.user, via="token")
