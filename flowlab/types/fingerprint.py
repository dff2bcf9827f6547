"""What a cache key sees of a file, a directory, a remote object or a table.

- A local file (or one in fsspec's memory filesystem) is keyed by its bytes (sha256): a file
  rewritten in place at the same path gets a new key, whatever its modification time says.
- A directory is keyed by the relative names of the files under it and each one's key.
- A remote object (any other fsspec protocol: ``s3://``, ``gs://``, ``http://``…) is keyed by
  what its store reports without downloading it: size, modification time and ETag (or
  checksum) when the store gives them. An object store changes the ETag whenever an object
  is rewritten; a store that reports none of these is read and keyed by its bytes.
- A pandas DataFrame is keyed by its columns, dtypes and ``hash_pandas_object`` (index
  included); a path to one is keyed by its file (above).

The path (or URI) itself is part of every key too: operators receive it and may use it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

LOCAL_PROTOCOLS = ("file", "local", "memory")
#: keys of ``fs.info`` that change when a remote object is rewritten, in order of trust
REMOTE_KEYS = (
    "ETag",
    "etag",
    "md5Hash",
    "crc32c",
    "content_md5",
    "size",
    "mtime",
    "LastModified",
    "last_modified",
    "updated",
    "modified",
)


def file_hash(uri: str, extra: Any = None) -> str:
    """``sha256:…`` of a file, directory or remote object at ``uri`` (see the module doc)."""
    import fsspec

    digest = hashlib.sha256()
    digest.update(uri.encode())
    if extra is not None:
        digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    fs, path = fsspec.core.url_to_fs(uri)
    if fs.isdir(path):
        for name in sorted(fs.find(path)):
            relative = name[len(path.rstrip("/")) :].lstrip("/")
            digest.update(b"\0" + relative.encode() + b"\0")
            _update(digest, fs, name)
    else:
        _update(digest, fs, path)
    return "sha256:" + digest.hexdigest()


def _update(digest, fs, path: str) -> None:
    if not _is_local(fs):
        info = fs.info(path)
        facts = {k: str(info[k]) for k in REMOTE_KEYS if info.get(k) is not None}
        if set(facts) - {"size"}:  # something that changes on rewrite, not the size alone
            digest.update(json.dumps(facts, sort_keys=True).encode())
            return
    with fs.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)


def _is_local(fs) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return any(p in LOCAL_PROTOCOLS for p in protocols)


def frame_hash(frame: Any) -> str:
    """``sha256:…`` of a pandas DataFrame's columns, dtypes and data (index included)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()
