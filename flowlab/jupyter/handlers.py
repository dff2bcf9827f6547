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

    async def answer(self, fn, *args, refused: tuple = ()) -> None:
        """Answer ``fn(*args)`` as JSON; ``refused`` = (exception class, HTTP status), or a
        tuple of such pairs, turns that error into ``{"message": ...}`` with the status.

        Example::

            await self.answer(api.run_detail, run_id, refused=(RunNotFound, 404))
        """
        pairs = [refused] if refused and isinstance(refused[0], type) else list(refused)
        try:
            data = await IOLoop.current().run_in_executor(None, fn, *args)
        except Exception as e:
            status = next((code for kind, code in pairs if isinstance(e, kind)), None)
            if status is None:
                raise
            self.set_status(status)
            data = {"message": e.args[0] if isinstance(e, KeyError) and e.args else str(e)}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class RunsHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.get_query_argument("q", "")
        limit = self.get_query_argument("limit", str(api.DEFAULT_LIMIT))
        # ASCII only: "²".isdigit() is true, but int() refuses it
        if not (limit.isascii() and limit.isdigit()):
            self.set_status(400)
            self.finish(
                json.dumps({"message": f"limit must be a whole number; got {limit[:40]!r}"})
            )
            return
        # past MAX_LIMIT it is clamped anyway; int() of 4300+ digits raises ValueError
        count = int(limit) if len(limit) <= 9 else api.MAX_LIMIT
        # a malformed (or too deeply nested) query: QueryError, a ValueError naming the
        # column of the mistake or the nesting limit
        # user=NAME: only the runs NAME launched (the sidebar's "mine" sends /me's user)
        user = self.get_query_argument("user", "")
        await self.answer(api.run_summaries, query, count, user, refused=(ValueError, 400))


class MeHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(api.me)


class RunHandler(FlowlabHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        # an id no run can have (20,000 characters, a "%2F") is the caller's mistake: 400
        await self.answer(
            api.run_detail, run_id, refused=((api.InvalidRunId, 400), (RunNotFound, 404))
        )


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
        (url_path_join(root, "me"), MeHandler),
        (url_path_join(root, "dashboard"), DashboardHandler),
    ]
