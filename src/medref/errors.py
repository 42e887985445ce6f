"""Every exception medref raises on purpose.

The tree::

    MedrefError                      base of all of them; catch this at the CLI / web edge
    ├── ConfigError                  bad settings (unknown key, bad value, missing extra)
    │   └── MissingExtraError        an optional dependency is not installed (says what to pip install)
    ├── InputError                   bad user input (a file, a record, a query)
    │   ├── ParseError               a file or one record in it is malformed (names file, record, reason)
    │   │   └── UnsafeXMLError       entity expansion / external entities / DTD tricks refused
    │   ├── UnknownFormatError       the ingest format could not be detected or is not supported
    │   └── QueryError               a search / ask query that cannot be run (empty, too long)
    ├── StoreError                   the evidence store could not be read or written
    │   ├── NotFoundError            a requested record does not exist
    │   └── ConflictError            optimistic locking: someone saved a newer version first
    │                                (medref.store.answers)
    ├── IndexNotReadyError           an index is missing or stale (says which command fixes it)
    └── LLMError                     the configured chat endpoint failed (medref.compose.llm_client)

Messages are written for a person: they name the file or record and say what was wrong.
"""

from __future__ import annotations

from pathlib import Path


class MedrefError(Exception):
    """Base class of every deliberate medref error."""


class ConfigError(MedrefError):
    """Settings are invalid or incomplete."""


class MissingExtraError(ConfigError):
    """An optional dependency is needed for this feature but is not installed."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        self.feature, self.extra, self.module = feature, extra, module
        super().__init__(
            f"{feature} needs the optional package {module!r}; install it with: pip install 'medref[{extra}]'"
        )


class InputError(MedrefError):
    """Bad input supplied by the user."""


class ParseError(InputError):
    """A source file, or one record inside it, could not be parsed."""

    def __init__(self, path: str | Path | None, reason: str, record: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.record = record
        self.reason = reason
        where = self.path or "<input>"
        if record:
            where += f": record {record}"
        super().__init__(f"{where}: {reason}")


class UnsafeXMLError(ParseError):
    """The XML uses entity declarations or external references, which are refused."""


class UnknownFormatError(InputError):
    """The format of an ingest input could not be determined."""


class QueryError(InputError):
    """A query that cannot be run."""


class StoreError(MedrefError):
    """The evidence store failed."""


class NotFoundError(StoreError):
    """A requested record does not exist."""


class IndexNotReadyError(MedrefError):
    """An index is missing or stale; the message names the command that fixes it."""
