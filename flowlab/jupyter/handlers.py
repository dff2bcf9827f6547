"""Tornado handlers of ``/flowlab/api``: authenticated like the rest of Jupyter Server,
errors as JSON ``{"message": ...}``."""

from __future__ import annotations

import json

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from flowlab.errors import RunNotFound
from flowlab.jupyter import api
from flowlab.jupyter.dashboard import DashboardUnavailable, server_dashboard


class FlowlabHandler(APIHandler):
    """Runs the store read off the event loop and answers JSON."""

    async def answer(self, fn, *args, refused: tuple[type, int] | None = None) -> None:
        """Answer ``fn(*args)`` as JSON; ``refused`` = (exception class, HTTP status) turns
        that error into ``{"message": ...}`` with the status."""
        try:
            data = await IOLoop.current().run_in_executor(None, fn, *args)
        except Exception as e:
            if refused is None or not isinstance(e, refused[0]):
                raise
            self.set_status(refused[1])
            data = {"message": e.args[0] if isinstance(e, KeyError) and e.args else str(e)}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class RunsHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.get_query_argument("q", "")
        limit = self.get_query_argument("limit", str(api.DEFAULT_LIMIT))
        if not limit.isdigit():
            self.set_status(400)
            self.finish(json.dumps({"message": f"limit must be a whole number; got {limit!r}"}))
            return
        # a malformed query: QueryError, a ValueError naming the column of the mistake
        await self.answer(api.run_summaries, query, int(limit), refused=(ValueError, 400))


class RunHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        await self.answer(api.run_detail, run_id, refused=(RunNotFound, 404))


class SearchesHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(api.saved_searches)


class WorkflowsHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(api.workflows)


class StatesHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(api.states)


class DashboardHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        """``{"url": …}`` of flowlab's dashboard (``flowlab ui``), started on first request;
        503 with ``{"message": …}`` (its output) when it cannot start."""
        try:
            dashboard = server_dashboard()
            dashboard.start()  # here, on the server's main thread (see dashboard._die_with_parent)
        except (DashboardUnavailable, OSError) as e:
            self.set_status(503)
            self.finish(json.dumps({"message": f"the dashboard could not start: {e}"}))
            return
        await self.answer(lambda: {"url": dashboard.url()}, refused=(DashboardUnavailable, 503))


def route_handlers(base_url: str) -> list[tuple[str, type]]:
    """The URL patterns under ``base_url``."""
    root = url_path_join(base_url, "flowlab", "api")
    return [
        (url_path_join(root, "runs"), RunsHandler),
        (url_path_join(root, "runs", "([^/]+)"), RunHandler),
        (url_path_join(root, "searches"), SearchesHandler),
        (url_path_join(root, "workflows"), WorkflowsHandler),
        (url_path_join(root, "states"), StatesHandler),
        (url_path_join(root, "dashboard"), DashboardHandler),
    ]
