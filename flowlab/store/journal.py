"""An append-only JSON Lines file, read incrementally: each line is parsed once per process."""

from __future__ import annotations

import json
import os
from pathlib import Path


class Journal:
    """Appends go through one ``write`` + fsync; a line cut short by a killed writer is closed
    by the next append and skipped by readers.

    Example::

        journal = Journal(Path("index.journal"))
        journal.append([{"id": "r1"}])
        reset, items = journal.read_new()
    """

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.lines = 0

    def append(self, items: list[dict]) -> None:
        """Append items (the caller holds the file lock)."""
        text = "".join(json.dumps(item, default=str) + "\n" for item in items)
        with open(self.path, "ab+") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":  # a writer was killed mid-line: close that line
                    text = "\n" + text
            f.write(text.encode())
            f.flush()
            os.fsync(f.fileno())

    def read_new(self) -> tuple[bool, list[dict]]:
        """(whether the file was truncated since the last read, the items added since)."""
        if not self.path.exists():
            return False, []
        size = self.path.stat().st_size
        reset = size < self.offset  # emptied by a compaction
        if reset:
            self.offset = self.lines = 0
        if size == self.offset:
            return reset, []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        items = []
        for line in complete.splitlines():
            self.lines += 1
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # cut short by a killed writer
        return reset, items

    def clear(self) -> None:
        self.path.write_text("")
        self.offset = self.lines = 0
