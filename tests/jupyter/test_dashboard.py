"""``GET /flowlab/api/dashboard``: the Jupyter server starts ``flowlab ui`` once, on 127.0.0.1,
answers its URL, and stops it when the server stops; errors are JSON with a clear message."""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.jupyter.test_rest import get
from tests.jupyter_app import running_jupyter
from tests.polling import poll_for


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def dashboard(server) -> tuple[int, dict]:
    # the first request starts the dashboard (Panel's imports: seconds on a busy machine)
    return get(server, "/flowlab/api/dashboard", timeout=240)


def test_dashboard_requires_the_token(jupyter_server):
    assert get(jupyter_server, "/flowlab/api/dashboard", token=None)[0] == 403


def test_dashboard_answers_the_url_of_one_running_flowlab_ui_on_127_0_0_1(jupyter_server):
    status, body = dashboard(jupyter_server)
    assert status == 200, body
    url = body["url"]
    assert url.startswith("http://127.0.0.1:"), url
    assert reachable(url), f"{url} does not answer"
    # started once: a second request answers the same process's URL
    assert dashboard(jupyter_server) == (200, body)


def test_dashboard_stops_when_the_server_stops(tmp_path):
    with running_jupyter("server", tmp_path) as server:
        status, body = dashboard(server)
        assert status == 200, body
        assert reachable(body["url"])
    poll_for(
        lambda: not reachable(body["url"]),
        30,
        what=f"{body['url']} to stop answering after the server stopped",
        every=0.5,
    )


def test_dashboard_port_that_is_not_a_number_is_503_naming_the_variable(tmp_path):
    with running_jupyter("server", tmp_path, {"FLOWLAB_DASHBOARD_PORT": "eighty"}) as server:
        status, body = dashboard(server)
    assert status == 503
    assert "FLOWLAB_DASHBOARD_PORT" in body["message"] and "'eighty'" in body["message"], body


def test_dashboard_that_cannot_bind_its_port_is_503_with_its_output(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"FLOWLAB_DASHBOARD_PORT": str(port)}
        with running_jupyter("server", tmp_path, env) as server:
            status, body = dashboard(server)
    assert status == 503, body
    assert "the dashboard could not start" in body["message"], body
    assert f"--port {port}" in body["message"], body  # the command, with its output below
