"""Where Optuna keeps a study: beside the run store, so a study resumes after a restart.

SQL stores (``sqlite:///…``, ``postgresql://…``) hold Optuna's own tables (RDBStorage) in the
same database (and schema); the TinyDB store gets an Optuna journal file,
``FLOWLAB_HOME/optuna.journal`` (JournalStorage, safe for several processes).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def optuna_storage(store_url: str | None = None):
    """The Optuna storage that goes with the run store at ``store_url`` (the configured one)."""
    import optuna

    from flowlab.store.config import home
    from flowlab.store.config import store_url as configured

    url = store_url or configured()
    if url.startswith("tinydb://"):
        from pathlib import Path

        from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

        folder = Path(url.removeprefix("tinydb://") or home())
        folder = folder.parent if folder.is_file() else folder
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / "optuna.journal")
        return optuna.storages.JournalStorage(
            JournalFileBackend(path, lock_obj=JournalFileOpenLock(path))
        )
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    plain = urlunsplit(parts._replace(query=urlencode(query)))
    engine_kwargs = {}
    if schema:
        engine_kwargs = {"connect_args": {"options": f"-csearch_path={schema}"}}
    return optuna.storages.RDBStorage(plain, engine_kwargs=engine_kwargs)
