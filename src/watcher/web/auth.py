"""Who may use the admin page: the password, session cookies, CSRF tokens and the feed token.

Sessions are random cookies looked up in the store (watcher.web.access), so
logout, a password change and "sign out everywhere" end them at once. A CSRF
token is an HMAC bound to who is asking — the session, the HTTP Basic user, or
for an anonymous browser its CSRF cookie — so a cookie pair planted in a
browser (by a sibling subdomain, say) is worthless once that browser logs in.

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

from watcher.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "watcher_session"
CSRF_COOKIE = "watcher_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FEED_TOKEN_HEADER = "x-watcher-token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# A session cookie is 43 characters; anything much longer is not one of ours.
_MAX_COOKIE = 128


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated user and how they proved it (basic, session, token or local)."""

    user: str
    via: str
    # The stored session's id (the hash of its cookie) when via == "session".
    session_id: str | None = None


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


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, or None if there is none."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def session_id_of(cookie: str | None) -> str | None:
    """The stored id of a session cookie (its sha256), or None for no or a malformed cookie."""
    if not cookie or len(cookie) > _MAX_COOKIE or not cookie.isascii():
        return None
    return hashlib.sha256(cookie.encode("ascii")).hexdigest()


class Authenticator:
    """Checks the password and derives CSRF, password and feed tokens from one secret."""

    def __init__(self, settings: Settings) -> None:
        self.user = settings.admin_user
        self._password = settings.admin_password.get_secret_value() if settings.admin_password else None
        if settings.session_secret is not None:
            secret = settings.session_secret.get_secret_value()
        else:
            # Without a configured secret, sessions and CSRF tokens last until the server restarts.
            secret = secrets.token_urlsafe(32)
            log.info("WATCHER_SESSION_SECRET is not set: sessions end when the server restarts")
        self._csrf_key = hashlib.sha256(b"watcher-csrf\x00" + secret.encode("utf-8")).digest()
        # Sessions remember the password they were opened under: a changed password ends them.
        self.password_tag = hmac.new(secret.encode("utf-8"), (self._password or "").encode("utf-8"),
                                     hashlib.sha256).hexdigest()[:32]
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

    @staticmethod
    def new_session_cookie() -> str:
        """A fresh session cookie value: 256 random bits."""
        return secrets.token_urlsafe(32)

    @staticmethod
    def new_nonce() -> str:
        """A fresh random value for the CSRF cookie."""
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str, principal: Principal | None) -> str:
        """The token forms carry: an HMAC of who is asking, so a cross-site page cannot know it.

        A session's token is bound to the session; a Basic user's to the user and the
        browser's CSRF cookie; an anonymous (or password-less local) browser's to its
        CSRF cookie alone.
        """
        if principal is not None and principal.via == "session" and principal.session_id:
            binding = f"session\x00{principal.session_id}"
        elif principal is not None and principal.via != "local":
            binding = f"{principal.via}\x00{principal.user}\x00{nonce}"
        else:
            binding = f"anonymous\x00{nonce}"
        return hmac.new(self._csrf_key, binding.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_valid(self, nonce: str | None, token: str | None, principal: Principal | None) -> bool:
        """Whether ``token`` is the one this requester's forms carry."""
        if not token:
            return False
        if not nonce and (principal is None or principal.via != "session"):
            return False
        return _eq(self.csrf_token(nonce or "", principal), token)

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
