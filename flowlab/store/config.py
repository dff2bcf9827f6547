"""Where flowlab keeps things: FLOWLAB_HOME (default ./.flowlab), FLOWLAB_STORE, FLOWLAB_ARTIFACTS;
who is at work: FLOWLAB_USER."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from urllib.parse import urlsplit


def home() -> Path:
    """The directory of the default store and artifacts (created on first use)."""
    path = Path(os.environ.get("FLOWLAB_HOME") or Path.cwd() / ".flowlab").absolute()
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_url() -> str:
    return os.environ.get("FLOWLAB_STORE") or f"tinydb://{home()}"


def artifacts_url() -> str:
    return os.environ.get("FLOWLAB_ARTIFACTS") or str(home() / "artifacts")


def current_user() -> str:
    """Who launches runs from this process: ``FLOWLAB_USER``, else the OS login name, else
    (a container with no name for its uid) the uid as text. Every new run records it.

    Example::

        current_user()   # 'ada' (FLOWLAB_USER=ada), else getpass.getuser(), else '1000'
    """
    named = os.environ.get("FLOWLAB_USER", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except Exception:  # no LOGNAME/USER and no passwd entry for the uid (KeyError, OSError)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


#: a URL as it appears in text: scheme://… up to whitespace or an angle bracket
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>]*")
#: query parameters that carry a secret (?password=…, ?token=…, ?secret_key=…)
_SECRET_PARAM = re.compile(
    r"(?i)(?P<key>[?&;][^=&#;]*(?:pass|pwd|secret|token|credential)[^=&#;]*=)[^&#;\s'\"]*"
)


def redacted(text: str) -> str:
    """``text`` (a URL, or a message with URLs in it) with every URL's password masked, for
    showing or logging a store or artifact location.

    The password of ``user:password@`` becomes ``***``, and so do query parameters named like
    a secret (``?password=``, ``?token=``); a text without credentials comes back unchanged.

    Example::

        redacted("postgresql://user:s3cret@db.example/runs")   # 'postgresql://user:***@db.example/runs'
        redacted("s3://KEY:SECRET@bucket/artifacts")           # 's3://KEY:***@bucket/artifacts'
        redacted("tinydb:///home/me/.flowlab")                 # unchanged
    """
    return _URL.sub(lambda found: _redacted_url(found.group(0)), str(text))


def _redacted_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    try:
        netloc = urlsplit(url).netloc if "@" in rest else ""
    except ValueError:  # e.g. an unclosed "[": no authority to trust, the fallback below
        netloc = ""
    userinfo = netloc.rpartition("@")[0]
    if ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        rest = f"{user}:***@{netloc.rpartition('@')[2]}{rest[len(netloc) :]}"
    else:
        # not a well-formed authority, e.g. an unescaped "/" or "?" in the password, which
        # SQLAlchemy still reads as one: mask from the user's ":" to the last "@", erring on
        # the side of hiding too much
        malformed = re.match(r"(?s)([^:/?#@]*):(.*)@", rest)
        if malformed:
            rest = f"{malformed.group(1)}:***@{rest[malformed.end() :]}"
    return _SECRET_PARAM.sub(r"\g<key>***", f"{scheme}://{rest}")
