"""``flowlab serve`` refuses what would hurt it or what another site could forge, and keeps
answering: non-finite numbers, JSON nested without end, too many instances, POSTs that are not
JSON (a cross-origin page sends text/plain without asking), Host headers that are not its own
(DNS rebinding), GETs that would act; and one big request does not hold up the small ones.

Every test talks to a real ``flowlab serve`` process on 127.0.0.1 (tests/serving's ``Server``)
with real HTTP requests.
"""

from __future__ import annotations

import concurrent.futures
import json
import select
import socket
import uuid

import pytest

import flowlab
from flowlab.library import data
from tests.polling import poll_for
from tests.serving.conftest import Server

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

FEATURES = ["petal_width", "petal_height", "sepal_width", "sepal_height"]
ROW = {"petal_width": 2, "petal_height": 14, "sepal_width": 33, "sepal_height": 50}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def models(client):
    """Two deployed iris trees: 'ints' takes INTEGER features, 'doubles' DOUBLE ones."""
    from tests.security.serving_workflows import security_iris_doubles
    from tests.serving.workflows import serving_iris

    frame = data.iris()
    ints = serving_iris.launch(labeled_data=frame, max_depth=3, seed=1)
    doubles = security_iris_doubles.launch(labeled_data=frame.astype({f: float for f in FEATURES}))
    ints.result(timeout=240), doubles.result(timeout=240)
    suffix = uuid.uuid4().hex[:6]
    names = {"ints": f"sec-ints-{suffix}", "doubles": f"sec-doubles-{suffix}"}
    ints.deploy(names["ints"]), doubles.deploy(names["doubles"])
    return names


@pytest.fixture(scope="module")
def server(models):
    """``flowlab serve`` with its defaults."""
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def configured(models):
    """``flowlab serve`` taking up to 60,000 instances and the Host models.example.com."""
    server = Server("--max-instances", "60000", "--allow-host", "models.example.com")
    yield server
    server.stop()


def post(server, path: str, content: bytes, headers: dict | None = None):
    return server.client.post(path, content=content, headers=JSON if headers is None else headers)


def predict(server, name: str, body: dict | bytes, headers: dict | None = None):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return post(server, f"/v1/models/{name}:predict", content, headers)


def answers_normally(server, name: str) -> bool:
    answer = predict(server, name, {"instances": [ROW, ROW]})
    return answer.status_code == 200 and len(answer.json()["predictions"]) == 2


# -- 1. NaN, Infinity and overflowing numbers --------------------------------------------------
@pytest.mark.parametrize("shape", ["objects", "lists"])
@pytest.mark.parametrize(
    "text, shown",
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("1e400", "Infinity"),  # overflows to inf as Python's json reads it
        ("-1e400", "-Infinity"),
    ],
)
def test_non_finite_number_is_a_400_naming_field_and_instance(server, models, text, shown, shape):
    name = models["doubles"]
    values = ["2.0", "14.0", text, "50.0"]  # sepal_width of instance 1
    if shape == "objects":
        bad = "{" + ", ".join(f'"{f}": {v}' for f, v in zip(FEATURES, values, strict=True)) + "}"
    else:
        bad = "[" + ", ".join(values) + "]"
    body = f'{{"instances": [{json.dumps(ROW)}, {bad}]}}'.encode()
    answer = predict(server, name, body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error.startswith(f"instance 1: field 'sepal_width' is {shown}"), error
    assert "send a finite number" in error
    # an INTEGER feature says the same, not 'expected an integer'
    answer = predict(server, models["ints"], body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"instance 1: field 'sepal_width' is {shown}")
    assert answers_normally(server, name)


def test_nan_is_no_double_in_process_either(models):
    from flowlab.errors import InvalidInstance

    with pytest.raises(InvalidInstance, match=r"^instance 0: field 'petal_width' is NaN"):
        flowlab.models.predict(models["doubles"], [{**ROW, "petal_width": float("nan")}])
    assert flowlab.models.predict(models["doubles"], [{**ROW, "petal_width": 2.5}])


def test_non_finite_feedback_label_is_a_400(server, models):
    path = f"/v1/models/{models['ints']}:feedback"
    answer = post(server, path, b'{"id": "abc", "label": NaN}')
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("field 'label' is NaN")
    assert post(server, path, b'{"id": "abc", "label": "Iris-setosa"}').status_code == 200


# -- 2. nesting and instance count -------------------------------------------------------------
@pytest.mark.parametrize(
    "opening, closing, depth",
    [(b"[", b"]", 10_000), (b'{"a": ', b"}", 10_000), (b"[", b"]", 32)],
)
def test_deep_json_is_a_400_and_the_service_keeps_answering(
    server, models, opening, closing, depth
):
    name = models["ints"]
    body = b'{"instances": ' + opening * depth + b"1" + closing * depth + b"}"
    answer = predict(server, name, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == (
        f"the body nests JSON {depth + 1} levels deep, over the limit of 32; "
        "send instances as objects or lists of values"
    )
    assert answers_normally(server, name)
    # brackets inside strings nest nothing
    noted = {**ROW, "note": "[{" * 5000, "quoted": '\\"[[[' * 100}
    assert predict(server, name, {"instances": [noted]}).status_code == 200


def test_too_many_instances_is_a_413_naming_the_limit(server, configured, models):
    name = models["ints"]
    answer = predict(server, name, {"instances": [ROW] * 10_001})
    assert answer.status_code == 413
    assert answer.json()["error"] == (
        "10001 instances, over the limit of 10000 per request (flowlab serve --max-instances); "
        "send them in several requests"
    )
    assert len(predict(server, name, {"instances": [ROW] * 10_000}).json()["predictions"]) == 10_000
    # --max-instances moves the limit
    answer = predict(configured, name, {"instances": [ROW] * 60_001})
    assert answer.status_code == 413 and "over the limit of 60000" in answer.json()["error"]
    assert predict(configured, name, {"instances": [ROW] * 10_001}).status_code == 200
    assert answers_normally(server, name)


# -- 3. JSON only ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
@pytest.mark.parametrize("route", ["predict", "feedback"])
def test_post_that_is_not_json_is_a_415(server, models, route, content_type):
    name = models["ints"]
    body = {"instances": [ROW]} if route == "predict" else {"id": "abc", "label": "Iris-setosa"}
    content = json.dumps(body).encode()
    # what a page of any origin may send without a CORS preflight
    headers = {"Origin": "http://attacker.example"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = post(server, f"/v1/models/{name}:{route}", content, headers)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert "'Content-Type: application/json'" in error
    assert error.endswith(
        f"this request's Content-Type is {(content_type or 'missing').split(';')[0]}"
    )
    as_json = {"Content-Type": "application/json; charset=utf-8"}
    assert post(server, f"/v1/models/{name}:{route}", content, as_json).status_code == 200


# -- 4. the Host header ------------------------------------------------------------------------
def test_host_header_must_name_this_server(server, models):
    name = models["ints"]
    port = server.port
    foreign = [
        "attacker.example",
        f"attacker.example:{port}",
        "127.0.0.1.attacker.example",
        f"localhost.attacker.example:{port}",
        "models.example.com",
    ]
    own = ["localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"]
    for host in foreign + own:
        listing = server.client.get("/v1/models", headers={"Host": host})
        answer = predict(server, name, {"instances": [ROW]}, {**JSON, "Host": host})
        expected = 400 if host in foreign else 200
        assert (listing.status_code, answer.status_code) == (expected, expected), host


def test_allow_host_adds_a_name(configured, models):
    body = {"instances": [ROW]}
    for host in ("models.example.com", "models.example.com:443", f"127.0.0.1:{configured.port}"):
        assert predict(configured, models["ints"], body, {**JSON, "Host": host}).status_code == 200
    for host in ("example.com", "attacker.example"):
        assert predict(configured, models["ints"], body, {**JSON, "Host": host}).status_code == 400


def test_on_a_wildcard_address_the_machine_names_answer_and_the_token_still_guards(models):
    import asyncio

    import httpx

    from flowlab.serving.app import create_app
    from flowlab.serving.engine import ModelService
    from flowlab.serving.server import allowed_hosts, token_for
    from flowlab.store.models import registry_for

    names = allowed_hosts("0.0.0.0")
    machine = socket.gethostname().lower()
    assert {"localhost", "127.0.0.1", "[::1]", machine, socket.getfqdn().lower()} <= set(names)
    token = token_for("0.0.0.0", None)
    assert token
    service = ModelService(registry_for(), follow=False)
    app = create_app(service, token=token, allowed_hosts=names)
    auth = {"Authorization": f"Bearer {token}"}

    async def statuses():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{machine}:8080") as c:
            return [
                (await c.get("/v1/models")).status_code,
                (await c.get("/v1/models", headers=auth)).status_code,
                (
                    await c.get("/v1/models", headers={**auth, "Host": "attacker.example"})
                ).status_code,
            ]

    # the machine's name is answered, with the token; another name is not, even with it
    # in a thread of its own: an earlier test may have left an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, statuses()).result() == [401, 200, 400]


def test_bad_allow_host_is_refused_before_serving():
    from click.testing import CliRunner

    from flowlab.cli import main

    result = CliRunner().invoke(main, ["serve", "--allow-host", "models.*.com"])
    assert result.exit_code == 2
    assert "give a name (models.example.com), a domain (*.example.com) or *" in result.output


# -- 6. GET acts on nothing --------------------------------------------------------------------
def test_get_changes_nothing_and_the_post_routes_refuse_it(server, models):
    from flowlab.store.models import registry_for

    name = models["ints"]
    registry = registry_for()
    stamp = registry.stamp()
    counted = _counters(server, name)
    for route in ("predict", "feedback"):
        for method in ("GET", "HEAD"):
            answer = server.client.request(method, f"/v1/models/{name}:{route}")
            assert answer.status_code == 405, (method, route, answer.status_code)
            assert answer.headers["Allow"] == "POST"
    for path in ("/v1/models", f"/v1/models/{name}", "/healthz", "/metrics"):
        assert server.client.get(path).status_code == 200
    assert registry.stamp() == stamp
    assert _counters(server, name) == counted


def _counters(server, name: str) -> list[str]:
    lines = server.client.get("/metrics").text.splitlines()
    return [line for line in lines if f'model="{name}"' in line and "_total" in line]


# -- 5. a big request runs beside small ones ---------------------------------------------------
def test_small_requests_are_answered_while_a_big_one_is_predicted(configured, models):
    name = models["ints"]
    # lists, not objects: few bytes to read for much to validate and predict, so that the
    # server has read all but the last byte by the time it is sent, and then has work to do
    body = json.dumps({"instances": [list(ROW.values())] * 60_000}).encode()
    head = (
        f"POST /v1/models/{name}:predict HTTP/1.1\r\nHost: 127.0.0.1:{configured.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    answered = []

    def one_small_answered_before_the_big():
        answer = predict(configured, name, {"instances": [ROW]})
        assert answer.status_code == 200, answer.text
        if select.select([big], [], [], 0)[0]:  # the big answer came first: it held us up
            return "the big answer"
        answered.append(answer)
        return "3 small answers" if len(answered) >= 3 else None

    with socket.create_connection(("127.0.0.1", configured.port)) as big:
        big.sendall(head + body[:-1])  # the server can't start before the last byte arrives
        poll_for(lambda: _unacknowledged(big) == 0, 60, "the server to take all but 1 byte")
        big.sendall(body[-1:])
        first = poll_for(
            one_small_answered_before_the_big,
            timeout=120,
            what="3 one-row answers or the 60,000-instance answer",
            every=0,
        )
        assert first == "3 small answers", (
            f"{len(answered)} one-row requests were answered while the 60,000-instance request "
            "was in flight: it held up the event loop"
        )
        big.settimeout(120)
        response = b"".join(iter(lambda: big.recv(1 << 16), b""))
    status, _, content = response.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200"), status
    assert len(json.loads(content)["predictions"]) == 60_000


def _unacknowledged(sock: socket.socket) -> int:
    """Bytes sent on ``sock`` that the other end has not acknowledged yet (Linux)."""
    import fcntl
    import struct
    import termios

    return struct.unpack("i", fcntl.ioctl(sock, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
