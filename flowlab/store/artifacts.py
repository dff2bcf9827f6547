"""Artifact files: content-addressed, written atomically, anywhere fsspec can write."""

from __future__ import annotations

import hashlib
import uuid

import fsspec


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
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{digest[:2]}/{digest}.{extension}"
        target = f"{self.path}/{relative}"
        if not self.fs.exists(target):
            self.fs.makedirs(f"{self.path}/{digest[:2]}", exist_ok=True)
            temporary = f"{target}.{uuid.uuid4().hex}.tmp"
            with self.fs.open(temporary, "wb") as f:
                f.write(data)
            self.fs.mv(temporary, target)
        return {"uri": f"{self.root}/{relative}", "hash": f"sha256:{digest}", "size": len(data)}

    def get(self, ref: dict) -> bytes:
        with fsspec.open(ref["uri"], "rb") as f:
            data = f.read()
        expected = ref.get("hash", "").removeprefix("sha256:")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise ValueError(
                f"artifact {ref['uri']} does not match its hash {ref['hash']}; "
                "the file was changed after the run wrote it"
            )
        return data
