"""Moving runs: JSON Lines export/import and copying a whole store to another backend."""

from __future__ import annotations

import json
from pathlib import Path


def export_runs(path: str | Path, query: str | None = None, store=None) -> int:
    """Write the runs matching ``query`` (all by default) as JSON Lines; returns the count.

    Example::

        flowlab.store.export_runs("backup.jsonl", 'workflow = "iris"')
    """
    from flowlab.store import get_store
    from flowlab.store.query import parse

    store = store or get_store()
    parsed = parse(query)
    count = 0
    with open(path, "w") as f:
        if parsed.where is None:
            records = store.all_records()
        else:
            records = (store.get_run(s["id"]) for s in reversed(store.search(parsed)))
        for record in records:
            f.write(json.dumps(record, default=str) + "\n")
            count += 1
    return count


def import_runs(path: str | Path, overwrite: bool = False, store=None) -> int:
    """Read JSON Lines of run records into the store; all or nothing.

    A malformed line is reported with its line number and nothing is imported; a run id the
    store already has is an error unless ``overwrite=True``.
    """
    from flowlab.errors import RunNotFound
    from flowlab.store import get_store

    store = store or get_store()
    records = []
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"{path}, line {number}: not valid JSON ({e.msg}); nothing was imported"
                ) from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise ValueError(
                    f"{path}, line {number}: a run record needs an 'id'; nothing was imported"
                )
            records.append(record)
    if not overwrite:
        for record in records:
            try:
                store.get_run(record["id"])
            except RunNotFound:
                continue
            raise ValueError(
                f"run {record['id']!r} from {path} is already in the store; pass "
                "overwrite=True to replace it. Nothing was imported"
            )
    store.put_runs(records)
    return len(records)


def migrate(src_url: str, dst_url: str) -> int:
    """Copy every run record (artifact references included) and every named entry (the
    dataset catalog, saved searches, …) from one store to another; the number of runs.

    Example::

        flowlab.store.migrate("tinydb:///home/me/.flowlab", "sqlite:///runs.db")
    """
    from flowlab.store import open_store

    source, target = open_store(src_url), open_store(dst_url)
    batch, count = [], 0
    for record in source.all_records():
        batch.append(record)
        if len(batch) >= 500:
            target.put_runs(batch)
            count, batch = count + len(batch), []
    if batch:
        target.put_runs(batch)
        count += len(batch)
    for kind in source.entry_kinds():
        for entry in source.list_entries(kind):
            target.put_entry(kind, entry["name"], entry)
    return count
