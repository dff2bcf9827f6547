"""Who launched it, over REST: ``/flowlab/api/me`` (whom the server runs as), ``user`` in every
run summary, and ``/flowlab/api/runs?user=NAME`` (the sidebar's *mine*)."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from tests.core.ops import add_twice
from tests.jupyter.test_rest import get
from tests.jupyter_app import running_jupyter

ADA, BOB = "ada-rest", "bob-rest"


def _launched_as(user: str) -> str:
    before = os.environ.get("FLOWLAB_USER")
    os.environ["FLOWLAB_USER"] = user
    try:
        run = add_twice.launch(a=1, b=len(user))
    finally:
        if before is None:
            os.environ.pop("FLOWLAB_USER")
        else:
            os.environ["FLOWLAB_USER"] = before
    run.result(timeout=120)
    return run.id


@pytest.fixture(scope="module")
def launched(client):
    """Two runs by ada, one by bob, one recorded before runs had a user."""
    from flowlab.store import get_store

    store = get_store()
    ids = {ADA: [_launched_as(ADA), _launched_as(ADA)], BOB: [_launched_as(BOB)]}
    old = {k: v for k, v in store.get_run(ids[BOB][0]).items() if k != "user"}
    old["id"] = ids[BOB][0] + "-old"
    store.put_run(old)
    ids[None] = [old["id"]]
    return ids


@pytest.fixture(scope="module")
def ada_server(tmp_path_factory):
    """A Jupyter Server run by ada (FLOWLAB_USER), over the session's store."""
    root = tmp_path_factory.mktemp("server-ada")
    with running_jupyter("server", root, {"FLOWLAB_USER": ADA}) as server:
        yield server


def _ids(server, query: str = "", user: str | None = None) -> list[str]:
    params = {"q": query, **({"user": user} if user is not None else {})}
    status, runs = get(server, "/flowlab/api/runs?" + urllib.parse.urlencode(params))
    assert status == 200, runs
    return [r["id"] for r in runs]


def test_me_is_whom_the_server_runs_as_and_needs_the_token(ada_server):
    assert get(ada_server, "/flowlab/api/me") == (200, {"user": ADA})
    assert get(ada_server, "/flowlab/api/me", token=None)[0] == 403


def test_runs_with_user_lists_only_that_users_runs(ada_server, launched):
    me = get(ada_server, "/flowlab/api/me")[1]["user"]
    query = 'workflow = "add_twice"'
    assert set(_ids(ada_server, query, me)) == set(launched[ADA])
    assert _ids(ada_server, query, BOB) == launched[BOB]
    # the query keeps its own order
    assert _ids(ada_server, query + " order by id desc", me) == sorted(launched[ADA])[::-1]
    assert set(_ids(ada_server, query)) >= {*launched[ADA], *launched[BOB], *launched[None]}


def test_every_summary_says_who_launched_the_run_and_old_runs_have_none(ada_server, launched):
    status, runs = get(
        ada_server, "/flowlab/api/runs?q=" + urllib.parse.quote('workflow = "add_twice"')
    )
    assert status == 200
    users = {r["id"]: r["user"] for r in runs}
    assert {users[i] for i in launched[ADA]} == {ADA} and users[launched[BOB][0]] == BOB
    assert users[launched[None][0]] is None
    assert launched[None][0] in _ids(ada_server, 'workflow = "add_twice" and user = null')
    assert launched[None][0] not in _ids(ada_server, 'user != "nobody"')


def test_a_bad_query_with_a_user_is_400_naming_the_column(ada_server):
    params = urllib.parse.urlencode({"q": "user = 3", "user": ADA})
    status, body = get(ada_server, f"/flowlab/api/runs?{params}")
    assert status == 400 and "user is text" in body["message"]
