"""What the servers show and whom they answer: real ``flowlab ui`` and Jupyter processes.

- A store URL's password never appears: not on a dashboard page, in ``repr(store)``, in the
  CLI's output or errors, in the Jupyter server's log or its REST errors.
- The dashboard answers only requests that name it in their ``Host`` header (DNS rebinding).
- The dashboard the Jupyter server starts needs a token of its own, given to it out of sight of
  ``ps``; the URL ``/flowlab/api/dashboard`` answers carries it.

The PostgreSQL store is the test server (trust authentication: any password is accepted), in
a schema of this module's own.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.jupyter_app import free_port, running_jupyter
from tests.polling import poll_for

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cretpw"
BASE = os.environ.get("FLOWLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
#: how the store URL is shown: its user, the password masked
SHOWN = f"{urllib.parse.urlsplit(BASE).username}:***@"
URL_LINE = re.compile(r"flowlab dashboard: (\S+)")
RUN_ID = "sec-" + secrets.token_hex(4)
WEBSOCKET = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def with_password(url: str, password: str = PASSWORD) -> str:
    """``url`` (``postgresql://user@host/db``) with ``password``, through psycopg."""
    parts = urllib.parse.urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urllib.parse.urlunsplit(parts._replace(scheme="postgresql+psycopg", netloc=netloc))


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_url():
    """A PostgreSQL store URL with a password, holding one run, in a schema of its own."""
    from flowlab.store import open_store

    url = f"{with_password(BASE)}?schema=flowlab_sec_{uuid.uuid4().hex[:10]}"
    try:
        store = open_store(url)
        store.count()
    except Exception as e:  # only where no server answers (or it wants real passwords)
        pytest.skip(f"no PostgreSQL server with trust authentication at {BASE}: {e}")
    store.put_run(
        {
            "id": RUN_ID,
            "workflow": "sec_wf",
            "status": "succeeded",
            "created": "2024-01-01T00:00:00",
            "inputs": {"a": 1},
            "outputs": {"total": 1.0},
            "operators": {},
            "tags": [],
        }
    )
    yield url
    store.drop()


def start_ui(args: list[str], env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """``python -m flowlab ui --no-show ARGS``; the URL it announces."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "ui", "--no-show", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=open(log, "w"),  # noqa: SIM115 - the process keeps it open
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    said: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()

    def announced() -> str | None:
        while not lines.empty():
            found = URL_LINE.search(lines.get())
            if found:
                said.append(found.group(1))
        if process.poll() is not None and not said:
            raise AssertionError(f"flowlab ui exited ({process.returncode}); see {log}")
        return said[0] if said else None

    try:
        return process, poll_for(announced, timeout=90, what=f"flowlab ui's URL (log: {log})")
    except BaseException:
        process.kill()
        raise


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def ui(pg_url, tmp_path_factory):
    """``flowlab ui --port P --no-show`` on 127.0.0.1 over the PostgreSQL store: its port."""
    root = tmp_path_factory.mktemp("ui")
    port = free_port()
    env = dict(os.environ, FLOWLAB_STORE=pg_url, PYTHONPATH=str(REPO))
    process, url = start_ui(["--port", str(port)], env, root / "ui.log")
    assert url == f"http://127.0.0.1:{port}/runs", url  # no token on loopback unless given
    yield port
    stop(process)


def request(port: int, path: str, host: str, headers: dict | None = None, address="127.0.0.1"):
    """(status, body text, headers) of GET ``path`` with this ``Host`` header."""
    connection = http.client.HTTPConnection(address, port, timeout=120)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers
    finally:
        connection.close()


def page_document(port: int, page: str, arguments: dict) -> str:
    """Everything a page shows, as its Bokeh document's JSON: Panel sends most of a page
    through the websocket after the HTML, so the HTML alone would not show it."""
    import panel  # noqa: F401 - registers Panel's models, which the document is made of
    import panel.models.tabulator  # noqa: F401
    from bokeh.client import pull_session
    from bokeh.embed.util import standalone_docs_json

    def pull() -> str:
        with pull_session(url=f"http://127.0.0.1:{port}/{page}", arguments=arguments) as session:
            return json.dumps(standalone_docs_json([session.document]), default=str)

    # in a thread of its own: an earlier test may have left an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(pull).result()


# -- redacted ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("postgresql://u:s3cretpw@db/runs", "postgresql://u:***@db/runs"),
        (
            "postgresql+psycopg://u:s3cretpw@127.0.0.1:5432/test?schema=team",
            "postgresql+psycopg://u:***@127.0.0.1:5432/test?schema=team",
        ),
        ("s3://KEY:s3cretpw@bucket/a@b/x", "s3://KEY:***@bucket/a@b/x"),
        ("postgresql://u:s3c@retpw@db/runs", "postgresql://u:***@db/runs"),  # unescaped "@"
        ("postgresql://u:s3c/retpw@db/runs", "postgresql://u:***@db/runs"),  # SQLAlchemy reads it
        ("postgresql://db/runs?password=s3cretpw&x=1", "postgresql://db/runs?password=***&x=1"),
        ("store 'mysql://u:s3cretpw@h/db': use …", "store 'mysql://u:***@h/db': use …"),
        ("tinydb:///home/me/.flowlab", "tinydb:///home/me/.flowlab"),
        ("sqlite:///runs.db", "sqlite:///runs.db"),
        ("postgresql://me@db:5432/runs", "postgresql://me@db:5432/runs"),
        ("/not/a/url@all", "/not/a/url@all"),
    ],
)
def test_redacted_masks_every_password_and_nothing_else(text, expected):
    from flowlab.store import redacted

    assert redacted(text) == expected


def test_a_sql_stores_repr_and_errors_never_show_its_password(pg_url):
    from flowlab.store import open_store

    store = open_store(pg_url)
    assert PASSWORD not in repr(store) and SHOWN in repr(store)
    with pytest.raises(KeyError) as missing:
        store.get_run("no-such-run")
    with pytest.raises(KeyError) as missing_update:
        store.update_run("no-such-run", lambda record: None)
    for error in (missing, missing_update):
        assert PASSWORD not in str(error.value) and "no-such-run" in str(error.value)
    with pytest.raises(ValueError) as unknown:
        open_store(f"mysql://root:{PASSWORD}@db/runs")
    assert PASSWORD not in str(unknown.value) and "mysql://root:***@db/runs" in str(unknown.value)


# -- flowlab ui -------------------------------------------------------------------------------
FOREIGN = ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "10.9.8.7"]
PAGES = [
    "/",
    "/runs",
    f"/run?id={RUN_ID}",
    f"/compare?ids={RUN_ID},{RUN_ID}",
    "/sweeps",
    "/launch",
    "/static/js/bokeh.min.js",
]


def test_dashboard_refuses_a_host_header_that_is_not_a_loopback_name(ui):
    port = ui
    for host in FOREIGN:
        host = host.format(port=port)
        for path in PAGES:
            status, body, _ = request(port, path, host)
            assert status in (400, 403), f"{path} with Host: {host} answered {status}"
            assert host.split(":")[0] in body  # says which name it does not answer to
        # the websocket: refused before the upgrade, with a rebinding page's Origin or none
        for origin in ({}, {"Origin": f"http://{host}"}):
            status, _, _ = request(port, "/runs/ws", host, {**WEBSOCKET, **origin})
            assert status in (400, 403), f"websocket with Host: {host} answered {status}"
    # this server's own names are served, with or without the port, in any case
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}", "127.0.0.1"):
        status, body, _ = request(port, "/runs", host)
        assert status == 200, f"Host: {host} answered {status}: {body[:300]}"


def test_no_dashboard_page_shows_the_store_password(ui):
    port = ui
    status, body, _ = request(port, "/runs", f"127.0.0.1:{port}")
    assert status == 200 and PASSWORD not in body
    shown = {
        "runs": page_document(port, "runs", {}),
        "run": page_document(port, "run", {"id": RUN_ID}),
        "missing run": page_document(port, "run", {"id": "no-such-run"}),
        "compare": page_document(port, "compare", {"ids": f"{RUN_ID},no-such-run"}),
        "sweeps": page_document(port, "sweeps", {}),
        "launch": page_document(port, "launch", {}),
    }
    for name, document in shown.items():
        assert PASSWORD not in document, f"the {name} page shows the store's password"
        assert SHOWN in document, f"the {name} page shows no store URL at all"
    assert "no-such-run" in shown["missing run"] and "no-such-run" in shown["compare"]
    assert RUN_ID in shown["run"]


def test_beyond_loopback_the_machines_names_addresses_and_allowed_hosts_are_served(tmp_path):
    address = "127.0.0.2"  # not a loopback *name*: served as beyond loopback, yet unexposed
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
    except OSError as e:
        pytest.skip(f"cannot listen on {address} here: {e}")
    port = free_port()
    process, url = start_ui(
        ["--host", address, "--port", str(port), "--allow-host", "flowlab.example"],
        dict(os.environ, PYTHONPATH=str(REPO)),
        tmp_path / "ui.log",
    )
    try:
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]
        auth = {"Authorization": f"token {token}"}
        served = [
            f"{address}:{port}",
            "flowlab.example",
            f"FlowLab.Example.:{port}",
            f"{socket.gethostname()}:{port}",
            f"10.9.8.7:{port}",  # an address: no DNS rebinding goes through one
        ]
        for host in served:
            status, body, _ = request(port, "/runs", host, auth, address=address)
            assert status == 200, f"Host: {host} answered {status}: {body[:300]}"
        for host in ("evil.example", f"flowlab.example.evil.example:{port}"):
            status, _, _ = request(port, "/runs", host, auth, address=address)
            assert status in (400, 403), f"Host: {host} answered {status} (with the token)"
        assert request(port, "/runs", f"{address}:{port}", address=address)[0] == 403
    finally:
        stop(process)


# -- the CLI ----------------------------------------------------------------------------------
def flowlab_cli(*args: str, store: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flowlab", *args],
        env=dict(os.environ, FLOWLAB_STORE=store, PYTHONPATH=str(REPO)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_never_prints_the_store_password(pg_url):
    listed = flowlab_cli("runs", store=pg_url)
    assert listed.returncode == 0, listed.stderr
    assert RUN_ID in listed.stdout
    shown = flowlab_cli("show", RUN_ID, "--json", store=pg_url)
    assert shown.returncode == 0, shown.stderr
    missing = flowlab_cli("show", "no-such-run", store=pg_url)
    assert missing.returncode != 0 and "no-such-run" in missing.stderr
    unknown = flowlab_cli("runs", store=f"mysql://root:{PASSWORD}@db/runs")
    assert unknown.returncode != 0 and "mysql://root:***@db/runs" in unknown.stderr
    for result in (listed, shown, missing, unknown):
        assert PASSWORD not in result.stdout + result.stderr, result.args


# -- the Jupyter server -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def jupyter(pg_url, tmp_path_factory):
    """``jupyter server`` (flowlab's extension) over the PostgreSQL store."""
    with running_jupyter(
        "server", tmp_path_factory.mktemp("jupyter"), {"FLOWLAB_STORE": pg_url}
    ) as server:
        yield server


def jupyter_get(server, path: str, timeout: float = 30) -> tuple[int, dict]:
    request_ = urllib.request.Request(
        server["url"] + path, headers={"Authorization": f"token {server['token']}"}
    )
    try:
        with urllib.request.urlopen(request_, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_jupyter_servers_log_and_errors_never_show_the_store_password(jupyter):
    status, body = jupyter_get(jupyter, "/flowlab/api/runs/no-such-run")
    assert status == 404 and "no-such-run" in body["message"], body
    assert PASSWORD not in json.dumps(body)
    log = poll_for(
        lambda: (text := jupyter["log"].read_text()) and "flowlab: REST API" in text and text,
        what="the server to log flowlab's REST API line",
    )
    assert SHOWN in log
    assert PASSWORD not in log


def test_the_dashboard_jupyter_starts_needs_its_own_token(jupyter):
    # the first request starts it (Panel's imports: seconds on a busy machine)
    status, body = jupyter_get(jupyter, "/flowlab/api/dashboard", timeout=240)
    assert status == 200, body
    url = urllib.parse.urlsplit(body["url"])
    token = urllib.parse.parse_qs(url.query)["token"][0]
    assert url.hostname == "127.0.0.1" and len(token) >= 32, body
    port, host = url.port, url.netloc
    # without the token: refused, whatever the path (another user's process on the machine)
    for path in ("/runs", f"/run?id={RUN_ID}", "/launch", "/runs/ws"):
        assert request(port, path, host)[0] == 403, path
    assert request(port, "/runs?token=wrong", host)[0] == 403
    assert request(port, "/runs", host, {"Authorization": "token wrong"})[0] == 403
    # the URL the extension opens works, and sets the cookie the page's scripts then use
    status, page, headers = request(port, f"{url.path}?{url.query}", host)
    assert status == 200 and PASSWORD not in page
    cookie = headers["Set-Cookie"].split(";")[0]
    assert token in cookie
    assert request(port, "/sweeps", host, {"Cookie": cookie})[0] == 200
    # given out of sight: on no process's command line, nor in the server's log
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert token not in cmdline.read_text(errors="replace"), cmdline
        except OSError:  # a process that ended meanwhile, or another user's
            continue
    log = jupyter["log"].read_text()
    assert token not in log and PASSWORD not in log
