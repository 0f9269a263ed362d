"""One error tree for the whole package.

    WatcherError
    ├── ConfigError      sources.toml or environment settings are invalid
    ├── FetchError       a page could not be fetched (network, HTTP status, size cap)
    ├── ExtractError     a fetched body could not be turned into a Document
    ├── StoreError       the database refused or is unreachable
    └── NotifyError      a Slack or SMTP delivery failed

Every error carries a message meant for a person: one line, no traceback.
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error the watcher raises on purpose."""


class ConfigError(WatcherError):
    """The configuration is invalid; the message names the file, source and field."""


class FetchError(WatcherError):
    """A page could not be fetched."""


class ExtractError(WatcherError):
    """A fetched body could not be parsed into a Document."""


class StoreError(WatcherError):
    """The database could not be read or written."""


class NotifyError(WatcherError):
    """A notification could not be delivered."""
