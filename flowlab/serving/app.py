"""The prediction service: a Starlette app speaking the KServe v1 protocol.

Routes: ``POST /v1/models/{name}:predict`` (``{"instances": [...]}``), ``POST
/v1/models/{name}:feedback`` (``{"id": request id, "label": true label}``), ``GET /v1/models``,
``GET /v1/models/{name}``, ``GET /healthz``, ``GET /metrics`` (Prometheus text).

Requests that arrive together for the same version are predicted in one batch: a request
queues its validated rows and the batch runs on the next turn of the event loop, so under
load one model call answers many requests, and alone a request waits for nobody.

Example::

    app = create_app(token="s3cret")          # uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowlab.errors import InvalidInstance, ModelNotFound
from flowlab.serving.engine import LoadedModel, ModelService

DEFAULT_BODY_LIMIT = 10 * 1024 * 1024


class _TooLarge(Exception):
    pass


class Batcher:
    """Groups the rows of requests for one version that are ready on the same loop turn."""

    def __init__(self):
        self.pending: dict[tuple[str, int], list] = {}

    async def predict(self, loaded: LoadedModel, rows: list) -> list:
        loop = asyncio.get_running_loop()
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
        try:
            predictions = loaded.predict([row for rows, _ in batch for row in rows])
        except Exception as e:
            for _, future in batch:
                future.set_exception(e)
            return
        start = 0
        for rows, future in batch:
            future.set_result(predictions[start : start + len(rows)])
            start += len(rows)


def create_app(
    service: ModelService | None = None,
    *,
    token: str | None = None,
    body_limit: int | None = None,
) -> Starlette:
    """The service's ASGI app (the registry of the configured store unless ``service``)."""
    if service is None:
        from flowlab.store.models import registry_for

        service = ModelService(registry_for())
    token = token if token is not None else os.environ.get("FLOWLAB_SERVE_TOKEN") or None
    body_limit = body_limit or int(os.environ.get("FLOWLAB_SERVE_BODY_LIMIT") or DEFAULT_BODY_LIMIT)
    expected = f"Bearer {token}".encode() if token else None
    batcher = Batcher()

    def refused(request: Request) -> Response | None:
        if expected is None:
            return None
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return _error(
                401, "missing or wrong token: send the header 'Authorization: Bearer <token>'"
            )
        return None

    async def body_json(request: Request):
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > body_limit:
            raise _TooLarge()
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > body_limit:
                raise _TooLarge()
            chunks.append(chunk)
        return json.loads(b"".join(chunks))

    async def authorised_body(request: Request) -> tuple[Any, Response | None]:
        """The request's JSON body, or the response refusing it (token, size, not JSON)."""
        denied = refused(request)
        if denied is not None:
            return None, denied
        try:
            return await body_json(request), None
        except _TooLarge:
            return None, _error(413, f"request body over the limit of {body_limit} bytes")
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
        try:
            routing = service.routing(name)
        except ModelNotFound as e:
            return _error(404, str(e))
        if service.monitor.loop is None:  # mirrors run on this loop, between requests
            service.monitor.loop = asyncio.get_running_loop()
        version = routing.choose(request.headers.get("x-flowlab-key"))
        loaded = service.model(name, version, routing.entries.get(version))
        try:
            rows = loaded.rows(body["instances"])
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
        if name not in service.names():
            return _error(404, f"no model named {name!r} is deployed")
        service.monitor.feedback(name, str(body["id"]), body["label"])
        return JSONResponse({"ok": True})

    async def models(request: Request) -> Response:
        return refused(request) or JSONResponse({"models": service.names()})

    async def model(request: Request) -> Response:
        denied = refused(request)
        if denied is not None:
            return denied
        try:
            return JSONResponse(service.registry.describe(request.path_params["name"]))
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
        ]
    )
    app.state.service = service
    return app


def _error(status: int, message: str, version: int | None = None) -> Response:
    headers = {"X-Flowlab-Version": str(version)} if version is not None else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)
