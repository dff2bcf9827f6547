"""Several processes on one store: concurrent writers lose nothing, and the dataset catalog
and saved searches written by one process are seen by the others (every backend)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import flowlab
from flowlab.store import open_store

WRITER = textwrap.dedent(
    """
    import sys
    from flowlab.store import open_store

    url, me = sys.argv[1], sys.argv[2]
    store = open_store(url)
    store.put_runs([{"id": f"{me}-{i}", "workflow": "w", "created": f"2026-11-0{i % 9 + 1}",
                     "tags": [], "inputs": {"i": i}, "outputs": {}} for i in range(10)])
    for k in range(5):
        store.update_run("shared", lambda r: r["tags"].append(f"{me}-{k}"))
        store.update_entry("models", "counter", lambda e: {"n": (e or {"n": 0})["n"] + 1})
    """
)


def _python(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return out


def test_concurrent_writers_lose_no_run_tag_or_entry_update(store_url):
    store = open_store(store_url)
    store.put_run({"id": "shared", "workflow": "w", "tags": [], "inputs": {}, "outputs": {}})
    writers = [_python(WRITER, store_url, f"p{n}") for n in range(3)]
    for writer in writers:
        _finish(writer)
    assert store.count() == 31
    assert flowlab.store.count('workflow = "w" and inputs.i >= 5', store=store) == 15
    tags = store.get_run("shared")["tags"]
    assert sorted(tags) == sorted(f"p{n}-{k}" for n in range(3) for k in range(5))
    assert flowlab.runs('tags = "p2-4"', store=store).ids == ["shared"]
    assert store.get_entry("models", "counter")["n"] == 15
    if store_url.startswith("postgresql"):
        store.drop()


CHILD_WRITES = textwrap.dedent(
    """
    import sys
    import flowlab

    flowlab.datasets.register("child_data", sys.argv[1], description="from the child")
    flowlab.searches.save("child search", 'workflow = "w"', order_by="-created", limit=5)
    """
)

CHILD_READS = textwrap.dedent(
    """
    import json
    import flowlab

    print(json.dumps({
        "datasets": [e["name"] for e in flowlab.datasets.list_datasets()],
        "searches": [e["name"] for e in flowlab.searches.list()],
        "parent rows": flowlab.datasets.get("parent_data")["rows"],
    }))
    """
)


def test_processes_sharing_a_store_see_each_others_datasets_and_searches(
    store_url, tmp_path, monkeypatch
):
    csv = tmp_path / "small.csv"
    csv.write_text("a,b\n1,x\n2,y\n3,z\n")
    # each process has a home of its own: what they share is the store, nothing else
    child_env = {"FLOWLAB_STORE": store_url, "FLOWLAB_HOME": str(tmp_path / "child_home")}
    monkeypatch.setenv("FLOWLAB_STORE", store_url)
    monkeypatch.setenv("FLOWLAB_HOME", str(tmp_path / "parent_home"))

    _finish(_python(CHILD_WRITES, str(csv), env=child_env))
    assert flowlab.datasets.get("child_data")["rows"] == 3
    assert flowlab.datasets.get("child_data")["description"] == "from the child"
    assert flowlab.searches.get("child search")["order_by"] == "-created"

    flowlab.datasets.register("parent_data", str(csv))
    flowlab.searches.save("parent search", "seed > 1")
    seen = json.loads(_finish(_python(CHILD_READS, env=child_env)))
    assert seen == {
        "datasets": ["child_data", "parent_data"],
        "searches": ["child search", "parent search"],
        "parent rows": 3,
    }
    if store_url.startswith("postgresql"):
        open_store(store_url).drop()
