"""The prediction service: a Starlette app speaking the KServe v1 protocol.

Routes: ``POST /v1/models/{name}:predict`` (``{"instances": [...]}``), ``POST
/v1/models/{name}:feedback`` (``{"id": request id, "label": true label}``), ``GET /v1/models``,
``GET /v1/models/{name}`` (the registry's entry, and under ``serving`` what this process
answers with now), ``GET /healthz``, ``GET /metrics`` (Prometheus text). Only the POSTs
change anything; they take ``Content-Type: application/json`` and nothing else.

Requests that arrive together for the same version are predicted in one batch: a request
queues its validated rows and the batch runs on the next turn of the event loop, so under
load one model call answers many requests, and alone a request waits for nobody. Model calls
run on threads, never on the event loop; a large request (``BIG_ROWS`` instances or more) is
parsed, validated and predicted on a couple of threads of its own, so small requests keep
being answered while it runs.

Limits: the body (``body_limit``, 10 MiB), the instances per request (``max_instances``,
10,000), JSON nesting (``MAX_JSON_DEPTH``), and the ``Host`` header must name this server
(``allowed_hosts``), against DNS rebinding.

Example::

    app = create_app(token="s3cret")          # uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowlab.errors import InvalidInstance, ModelNotFound
from flowlab.serving.engine import LoadedModel, ModelService, non_finite

DEFAULT_BODY_LIMIT = 10 * 1024 * 1024
DEFAULT_MAX_INSTANCES = 10_000
# deep enough for any instance (objects of lists of objects...), far below the ~1,000 levels at
# which json.loads recurses out of stack
MAX_JSON_DEPTH = 32
# from this many instances a request is validated and predicted on the bulk threads, alone
BIG_ROWS = 1_000
# from this many bytes a body is checked and parsed on a bulk thread, not on the event loop
BIG_BODY = 256 * 1024
BULK_THREADS = 2
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    pass


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``raw`` nest (brackets inside strings
    do not count); quick, in C and numpy, without parsing.

    Example::

        json_depth(b'{"instances": [[1, 2], [3, 4]]}')    # 3
        json_depth(b'["[[[", {"a": []}]')                  # 3
    """
    import numpy as np

    if b"\\" in raw:  # an escaped quote or backslash is no string delimiter: blank them
        raw = raw.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    codes = np.frombuffer(raw, dtype=np.uint8)
    marks = codes[(codes == 34) | (codes == 91) | (codes == 93) | (codes == 123) | (codes == 125)]
    quotes = marks == 34
    outside = (np.cumsum(quotes, dtype=np.int64) & 1) == 0  # an even number of quotes before
    brackets = marks[outside & ~quotes]
    if not len(brackets):
        return 0
    steps = np.where((brackets == 91) | (brackets == 123), 1, -1)
    return int(np.cumsum(steps).max())


def parse_json(raw: bytes, *, yielding: bool = False) -> Any:
    """``raw`` parsed; :class:`ValueError` for malformed JSON, ``_TooDeep`` past
    ``MAX_JSON_DEPTH`` levels (checked before parsing: json.loads recurses per level).

    ``yielding`` (for big bodies, parsed on a thread): json.loads is C that keeps the GIL, and
    so the event loop, until it is done; a Python hook for each object lets the loop run
    between instances, for ~2x the parse time of objects (arrays have no hook).

    Example::

        parse_json(b'{"instances": [[5.1, 3.5]]}')   # {'instances': [[5.1, 3.5]]}
    """
    # a body can't nest deeper than it opens: most small ones need no closer look
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        depth = json_depth(raw)
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep(depth)
    try:
        return json.loads(raw, object_pairs_hook=_yielding_dict if yielding else None)
    except RecursionError:  # never reached past the depth check; kept as the last guard
        raise _TooDeep(MAX_JSON_DEPTH + 1) from None


def _yielding_dict(pairs: list) -> dict:
    return dict(pairs)  # a Python frame: where another thread can take the GIL


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class Batcher:
    """Groups the rows of requests for one version that are ready on the same loop turn and
    predicts each group on a thread; a big request (``BIG_ROWS`` rows) is predicted alone on
    ``bulk``'s threads, so small requests never wait for it.

    Example::

        batcher = Batcher(ThreadPoolExecutor(2))
        predictions = await batcher.predict(loaded, [[2, 14, 33, 50]])
    """

    def __init__(self, bulk: Executor | None = None):
        self.pending: dict[tuple[str, int], list] = {}
        self.bulk = bulk
        self._running: set[asyncio.Task] = set()  # held: the loop keeps only weak references

    async def predict(self, loaded: LoadedModel, rows: list) -> list:
        loop = asyncio.get_running_loop()
        if len(rows) >= BIG_ROWS:
            return await loop.run_in_executor(self.bulk, loaded.predict, rows)
        future = loop.create_future()
        key = (loaded.name, loaded.version)
        batch = self.pending.get(key)
        if batch is None:
            batch = self.pending[key] = []
            loop.call_soon(self._run, key, loaded)
        batch.append((rows, future))
        return await future

    def _run(self, key, loaded: LoadedModel) -> None:
        batch = self.pending.pop(key)
        task = asyncio.get_running_loop().create_task(self._predict(loaded, batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @staticmethod
    async def _predict(loaded: LoadedModel, batch: list) -> None:
        rows = [row for rows, _ in batch for row in rows]
        try:
            # on a thread: the model (pandas, sklearn) must not hold up the event loop
            predictions = await asyncio.to_thread(loaded.predict, rows)
        except Exception as e:
            for _, future in batch:
                if not future.done():  # its caller may have gone (a dropped connection)
                    future.set_exception(e)
            return
        start = 0
        for rows, future in batch:
            if not future.done():
                future.set_result(predictions[start : start + len(rows)])
            start += len(rows)


def create_app(
    service: ModelService | None = None,
    *,
    token: str | None = None,
    body_limit: int | None = None,
    max_instances: int | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The service's ASGI app (the registry of the configured store unless ``service``).

    Unset, each setting comes from the environment ``flowlab serve`` hands its workers
    (``FLOWLAB_SERVE_TOKEN``, ``_BODY_LIMIT``, ``_MAX_INSTANCES``, ``_ALLOWED_HOSTS``, the last
    comma-separated), else its default; ``allowed_hosts`` defaults to the loopback names.

    Example::

        app = create_app(token="s3cret", max_instances=1000, allowed_hosts=["localhost"])
    """
    if service is None:
        from flowlab.store.models import registry_for

        service = ModelService(registry_for())
    token = token if token is not None else os.environ.get("FLOWLAB_SERVE_TOKEN") or None
    body_limit = body_limit or int(os.environ.get("FLOWLAB_SERVE_BODY_LIMIT") or DEFAULT_BODY_LIMIT)
    max_instances = max_instances or int(
        os.environ.get("FLOWLAB_SERVE_MAX_INSTANCES") or DEFAULT_MAX_INSTANCES
    )
    if allowed_hosts is None:
        given = os.environ.get("FLOWLAB_SERVE_ALLOWED_HOSTS", "")
        allowed_hosts = [h for h in given.split(",") if h] or list(LOOPBACK_HOSTS)
    expected = f"Bearer {token}".encode() if token else None
    # the shadow's model calls in a child process: here they would take the GIL from the loop
    service.monitor.predict_shadow_in_process()
    # big bodies are parsed, validated and predicted here: at most BULK_THREADS at a time, and
    # never on the threads that small requests' model calls use
    bulk = ThreadPoolExecutor(BULK_THREADS, thread_name_prefix="flowlab-bulk")
    batcher = Batcher(bulk)

    def refused(request: Request) -> Response | None:
        if expected is None:
            return None
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return _error(
                401, "missing or wrong token: send the header 'Authorization: Bearer <token>'"
            )
        return None

    async def body_bytes(request: Request) -> bytes:
        chunks, size = [], 0  # a body sent without Content-Length, or beyond it, is cut here
        async for chunk in request.stream():
            size += len(chunk)
            if size > body_limit:
                raise _TooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    async def authorised_body(request: Request) -> tuple[Any, Response | None]:
        """The request's JSON body, or the response refusing it (token, size, media type, not
        JSON, nested too deep)."""
        denied = refused(request)
        if denied is not None:
            return None, denied
        too_large = _error(413, f"request body over the limit of {body_limit} bytes")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > body_limit:
            return None, too_large
        # a page of any origin may POST text/plain (or a form) without asking first (no CORS
        # preflight); only application/json needs one, so it is all we take
        media_type = _media_type(request)
        if media_type != "application/json":
            return None, _error(
                415,
                f"the body must be JSON sent with 'Content-Type: application/json'; this "
                f"request's Content-Type is {media_type or 'missing'}",
            )
        try:
            raw = await body_bytes(request)
            if len(raw) >= BIG_BODY:
                loop = asyncio.get_running_loop()
                body = await loop.run_in_executor(bulk, partial(parse_json, raw, yielding=True))
            else:
                body = parse_json(raw)
            return body, None
        except _TooLarge:
            return None, too_large
        except _TooDeep as e:
            return None, _error(
                400,
                f"the body nests JSON {e.args[0]} levels deep, over the limit of "
                f"{MAX_JSON_DEPTH}; send instances as objects or lists of values",
            )
        except (ValueError, UnicodeDecodeError) as e:
            return None, _error(400, f"the body is not valid JSON: {e}")

    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        body, denied = await authorised_body(request)
        if denied is not None:
            return denied
        name = request.path_params["name"]
        if not isinstance(body, dict) or "instances" not in body:
            return _error(400, 'the body must be a JSON object {"instances": [...]}')
        instances = body["instances"]
        if isinstance(instances, list) and len(instances) > max_instances:
            return _error(
                413,
                f"{len(instances)} instances, over the limit of {max_instances} per request "
                "(flowlab serve --max-instances); send them in several requests",
            )
        try:
            routing = service.routing(name)
        except ModelNotFound as e:
            return _error(404, str(e))
        # service.monitor.loop stays unset: the shadow's thread and child process predict, not
        # the event loop, where a big mirrored request would hold up everyone's answers
        version = routing.choose(request.headers.get("x-flowlab-key"))
        loaded = service.model(name, version, routing.entries.get(version))
        try:
            if isinstance(instances, list) and len(instances) >= BIG_ROWS:
                loop = asyncio.get_running_loop()
                rows = await loop.run_in_executor(bulk, loaded.rows, instances)
            else:
                rows = loaded.rows(instances)
            predictions = await batcher.predict(loaded, rows)
        except InvalidInstance as e:
            service.monitor.count(name, version, time.perf_counter() - started, error=True)
            return _error(400, str(e), version)
        except Exception as e:
            service.monitor.count(name, version, time.perf_counter() - started, error=True)
            return _error(500, f"model '{name}' version {version} failed: {e}", version)
        answer = service.answered(routing, version, rows, predictions, started)
        content = {
            "predictions": predictions,
            "model_name": name,
            "model_version": version,
            "id": answer.id,
        }
        return Response(
            json.dumps(content, separators=(",", ":")),
            media_type="application/json",
            headers={"X-Flowlab-Version": str(version), "X-Flowlab-Request-Id": answer.id},
        )

    async def feedback(request: Request) -> Response:
        body, denied = await authorised_body(request)
        if denied is not None:
            return denied
        name = request.path_params["name"]
        if not isinstance(body, dict) or "id" not in body or "label" not in body:
            return _error(400, 'feedback is a JSON object {"id": request id, "label": true label}')
        bad = non_finite(body["label"])
        if bad is not None:
            return _error(
                400, f"field 'label' is {bad}; send the true label: a class name or a finite number"
            )
        if name not in service.names():
            return _error(404, f"no model named {name!r} is deployed")
        service.monitor.feedback(name, str(body["id"]), body["label"])
        return JSONResponse({"ok": True})

    async def models(request: Request) -> Response:
        return refused(request) or JSONResponse({"models": service.names()})

    async def model(request: Request) -> Response:
        name = request.path_params["name"]
        if name.endswith((":predict", ":feedback")):  # GET /v1/models/x:predict lands here
            return _error(
                405, f"{name.rsplit(':', 1)[1]} takes POST with a JSON body", allow="POST"
            )
        denied = refused(request)
        if denied is not None:
            return denied
        try:
            described = service.registry.describe(name)
            # what this process answers with now (the registry may be a moment ahead)
            described["serving"] = service.routing(name).serving()
            described["serving"]["shadow_process"] = service.monitor.shadow_state()
            return JSONResponse(described)
        except ModelNotFound as e:
            return _error(404, str(e))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "models": len(service.names())})

    async def metrics(request: Request) -> Response:
        denied = refused(request)
        if denied is not None:
            return denied
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add them up
            from prometheus_client import CollectorRegistry, multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/v1/models/{name}:predict", predict, methods=["POST"]),
            Route("/v1/models/{name}:feedback", feedback, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{name}", model, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        # a page on an attacker's name that resolves to this machine (DNS rebinding) reaches us
        # with its own name in Host: answer only to ours
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts, www_redirect=False)
        ],
    )
    app.state.service = service
    return app


def _error(
    status: int, message: str, version: int | None = None, allow: str | None = None
) -> Response:
    headers = {"X-Flowlab-Version": str(version)} if version is not None else {}
    if allow:
        headers["Allow"] = allow
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)
