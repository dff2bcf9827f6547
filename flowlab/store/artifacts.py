"""Artifact files: content-addressed, written atomically, anywhere fsspec can write.

A run record names its artifacts (``{"$artifact": uri}``), and anyone who can write the store
can write a record, so an artifact is read only from under the configured location (and
those in ``FLOWLAB_ARTIFACTS_ALSO``): a reference anywhere else raises
:class:`~flowlab.errors.Untrusted` naming it, and nothing is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import uuid

import fsspec

from flowlab.errors import Untrusted
from flowlab.store.config import redacted
from flowlab.store.tinydb_store import size_text, write_refused

#: more locations artifacts may be read from (os.pathsep-separated), e.g. an old bucket
ALSO_ENV = "FLOWLAB_ARTIFACTS_ALSO"


class ArtifactStore:
    """Keeps bytes under ``root/<hash[:2]>/<hash>.<ext>``; the same content is written once.

    Example::

        ref = ArtifactStore("/tmp/a").put(b"...", "parquet")
        ArtifactStore("/tmp/a").get(ref)
    """

    def __init__(self, root: str):
        self.root = root.rstrip("/")
        self.fs, self.path = fsspec.core.url_to_fs(self.root)

    def put(self, data: bytes, extension: str) -> dict:
        """Keep ``data``; its reference (uri, sha256 hash, size). Written to a temporary file
        renamed into place, so a reader never sees part of it. A full disk or a read-only
        location raises :class:`~flowlab.store.tinydb_store.StoreWriteError` (an ``OSError``
        and a ``StoreError``) naming the location, and leaves no temporary file behind.

        Example::

            ArtifactStore("/tmp/a").put(b"0123", "bin")["hash"]   # 'sha256:1be2e4…'
        """
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{digest[:2]}/{digest}.{extension}"
        target = f"{self.path}/{relative}"
        if not self.fs.exists(target):
            temporary = f"{target}.{uuid.uuid4().hex}.tmp"
            try:
                self.fs.makedirs(f"{self.path}/{digest[:2]}", exist_ok=True)
                with self.fs.open(temporary, "wb") as f:
                    f.write(data)
                self.fs.mv(temporary, target)
            except BaseException as error:
                # a full disk fails mid-write: what was written of it is no artifact
                with contextlib.suppress(Exception):
                    if self.fs.exists(temporary):
                        self.fs.rm(temporary)
                what = f"an artifact ({size_text(len(data))})"
                if isinstance(error, OSError):
                    refused = write_refused(error, what, redacted(self.root))
                    if refused is not None and refused is not error:
                        raise refused from error
                raise
        return {"uri": f"{self.root}/{relative}", "hash": f"sha256:{digest}", "size": len(data)}

    def get(self, ref: dict) -> bytes:
        """The bytes of the artifact ``ref`` names, checked against its hash; Untrusted when
        ``ref`` points outside the artifact locations.

        Example::

            ArtifactStore("/tmp/a").get({"uri": "/etc/passwd"})   # Untrusted: not under /tmp/a
        """
        fs, path = self.located(ref["uri"])
        with fs.open(path, "rb") as f:
            data = f.read()
        expected = ref.get("hash", "").removeprefix("sha256:")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise ValueError(
                f"artifact {redacted(ref['uri'])} does not match its hash {ref['hash']}; "
                "the file was changed after the run wrote it"
            )
        return data

    def located(self, uri: str):
        """``(filesystem, path)`` of ``uri`` when it lies under an artifact location."""
        roots = [self.root] + [r for r in os.environ.get(ALSO_ENV, "").split(os.pathsep) if r]
        if isinstance(uri, str) and "::" not in uri:
            fs, path = fsspec.core.url_to_fs(uri)
            wanted = _normal(fs, path)
            for root in roots:
                root_fs, root_path = (
                    (self.fs, self.path) if root == self.root else fsspec.core.url_to_fs(root)
                )
                if fs.protocol != root_fs.protocol:
                    continue
                base = _normal(root_fs, root_path).rstrip("/")
                if wanted.startswith(base + "/"):
                    return fs, wanted
        raise Untrusted(
            f"artifact reference {redacted(str(uri))!r} is outside the artifact location {redacted(self.root)}"
            f"{' (and ' + ALSO_ENV + ')' if len(roots) > 1 else ''}: not read. A run record "
            f"names its artifacts, and only the configured locations are trusted; if that "
            f"place is yours, add it to {ALSO_ENV}"
        )


def _normal(fs, path: str) -> str:
    """``path`` without ``..`` or symbolic links (local files), as the filesystem names it."""
    if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        return os.path.realpath(path)
    return posixpath.normpath("/" + path.lstrip("/")).lstrip("/") if path else path
