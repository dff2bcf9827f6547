"""Inputs no run and no query can have are refused as the caller's mistake (400, naming the
problem), never a server error, in a real Jupyter Server; the query language refuses nesting
past its limit wherever a query is parsed (REST, CLI, dashboard, Python API)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from flowlab.store.query import MAX_NESTING, QueryError
from tests.jupyter_app import running_jupyter

ROOT = Path(__file__).resolve().parents[2]
#: the query that overflowed the parser's recursion: 3,000 nested `not`
DEEP_QUERY = "not " * 3000 + 'status = "failed"'
#: as deep as allowed: every backend must still answer it
DEEPEST_ALLOWED = "(not " * (MAX_NESTING // 2) + 'status = "failed"' + ")" * (MAX_NESTING // 2)
LIMIT_WORDS = f"at most {MAX_NESTING} levels"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``jupyter server`` with flowlab's extension, reading the session's (empty) store."""
    with running_jupyter("server", tmp_path_factory.mktemp("rest-inputs")) as running:
        yield running


def get(server, path: str, timeout: float = 30) -> tuple[int, object]:
    """(status, JSON body or text) of an authenticated GET ``path``."""
    request = urllib.request.Request(
        server["url"] + path, headers={"Authorization": f"token {server['token']}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body.decode(errors="replace")


def still_answers(server) -> None:
    status, states = get(server, "/flowlab/api/states")
    assert status == 200 and "run_statuses" in states
    status, runs = get(server, "/flowlab/api/runs?q=" + urllib.parse.quote(DEEPEST_ALLOWED))
    assert status == 200 and isinstance(runs, list), runs


def test_a_20000_character_run_id_is_400_naming_the_length_limit(server):
    status, body = get(server, "/flowlab/api/runs/" + "a" * 20_000)
    assert status == 400, body
    assert "run id" in body["message"] and "20000 characters" in body["message"]
    assert "at most 64" in body["message"], body
    still_answers(server)


@pytest.mark.parametrize("run_id", ["..%2F..%2Fetc%2Fpasswd", "a%20b", "%00", ".hidden"])
def test_a_run_id_with_characters_no_run_id_has_is_400_naming_them(server, run_id):
    status, body = get(server, "/flowlab/api/runs/" + run_id)
    assert status == 400, body
    assert "run id" in body["message"] and "letters, digits" in body["message"], body
    still_answers(server)


def test_a_query_of_3000_nested_not_is_400_naming_the_nesting_limit(server):
    status, body = get(server, "/flowlab/api/runs?q=" + urllib.parse.quote(DEEP_QUERY))
    assert status == 400, body
    assert "3000 levels" in body["message"] and LIMIT_WORDS in body["message"], body
    still_answers(server)


@pytest.mark.parametrize("limit", ["9" * 5000, "²"])
def test_a_limit_int_cannot_read_is_not_a_server_error(server, limit):
    # "²".isdigit() is true and int() refuses 4300+ digits: both were 500
    status, body = get(server, "/flowlab/api/runs?limit=" + urllib.parse.quote(limit))
    if limit == "²":
        assert status == 400 and "limit must be a whole number" in body["message"], body
    else:
        assert status == 200 and isinstance(body, list), body  # clamped to MAX_LIMIT
    still_answers(server)


def test_parsing_a_query_nested_past_the_limit_raises_query_error_naming_it():
    from flowlab.store.query import parse

    with pytest.raises(QueryError, match=LIMIT_WORDS) as raised:
        parse(DEEP_QUERY)
    assert "3000 levels" in str(raised.value)
    too_deep = "(" * MAX_NESTING + "not " + 'status = "x"' + ")" * MAX_NESTING
    with pytest.raises(QueryError, match=rf"{MAX_NESTING + 1} levels; {LIMIT_WORDS}"):
        parse(too_deep)
    parse('(not tags = "(((not") and not notes contains "((((("')  # quoted text is text
    assert parse(DEEPEST_ALLOWED).where is not None


@pytest.mark.parametrize("entry", ["flowlab.runs", "dashboard rows"])
def test_every_search_entry_point_gets_the_query_error(entry, flowlab_home):
    if entry == "flowlab.runs":
        import flowlab

        search = flowlab.runs
    else:
        from flowlab.dashboard.rows import runs_page as search
    with pytest.raises(QueryError, match=LIMIT_WORDS):
        search(DEEP_QUERY)
    search(DEEPEST_ALLOWED)  # the store (TinyDB here) answers a query as deep as allowed


def test_the_cli_exits_2_naming_the_nesting_limit(flowlab_home):
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", "runs", DEEP_QUERY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert LIMIT_WORDS in done.stderr and "Traceback" not in done.stderr
