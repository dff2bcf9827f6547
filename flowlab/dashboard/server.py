"""Serving the dashboard: a Panel (Bokeh/Tornado) server, on 127.0.0.1 by default, with a
token on every other address.

With a token every request — pages, websockets, static files — must carry it: ``?token=T``,
an ``Authorization: token T`` header, or the cookie the first page with ``?token=`` sets (so
the page's own scripts and websocket get in). Anything else is answered 403.

Every request must also name this server in its ``Host`` header — localhost, 127.0.0.1,
[::1], the address it was told to listen on and, beyond loopback, the machine's name or an
IP address (plus ``allowed_hosts``) — or it is answered 403: a web page whose own name was
re-pointed at 127.0.0.1 (DNS rebinding) cannot read or drive the dashboard.

Example::

    serve(port=8765, announce=print)          # http://127.0.0.1:8765/runs
    serve(host="0.0.0.0")                     # a token is generated and printed in the URL
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")
WILDCARD = ("0.0.0.0", "::", "")
COOKIE = "flowlab_dashboard_token"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host if host not in ("0.0.0.0", "::", "") else "", 0))
        return s.getsockname()[1]


def token_of(request) -> str | None:
    """The token a request carries: ``?token=``, ``Authorization: token T`` (or Bearer), or
    the dashboard's cookie."""
    query = parse_qs(urlsplit(request.uri).query)
    if query.get("token"):
        return query["token"][0]
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    cookie = SimpleCookie()
    try:
        cookie.load(request.headers.get("Cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel else None


def require_token(app, token: str) -> None:
    """Make the Tornado application ``app`` refuse (403) every request without ``token``."""
    import tornado.web

    class Refused(tornado.web.RequestHandler):
        def prepare(self):
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(
                "403: this flowlab dashboard needs its token: ?token=T or "
                "'Authorization: token T' (flowlab ui printed it)\n"
            )

    def valid(request) -> bool:
        given = token_of(request)
        return given is not None and hmac.compare_digest(given.encode(), token.encode())

    find_handler = app.find_handler

    def guarded(request, **kwargs):
        if not valid(request):
            return app.get_handler_delegate(request, Refused)
        return find_handler(request, **kwargs)

    app.find_handler = guarded

    class SetCookie(tornado.web.OutputTransform):
        """A page opened with ``?token=`` sets the cookie its scripts and websocket use."""

        def __init__(self, request):
            super().__init__(request)
            self.query_token = parse_qs(urlsplit(request.uri).query).get("token", [None])[0]

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            if self.query_token and hmac.compare_digest(self.query_token.encode(), token.encode()):
                headers.add("Set-Cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
            return super().transform_first_chunk(status_code, headers, chunk, finishing)

    app.transforms.append(SetCookie)


def host_name(header: str) -> str:
    """The name in a ``Host`` header, lowercase, without its port or brackets.

    Example::

        host_name("[::1]:8765")          # '::1'
        host_name("LocalHost.:8765")     # 'localhost'
    """
    header = header.strip().lower()
    if header.startswith("["):
        name = header[1:].partition("]")[0]
    elif header.count(":") == 1:
        name = header.partition(":")[0]
    else:  # a bare name, or an IPv6 address written without brackets
        name = header
    return name.rstrip(".")


def served_names(host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> set[str]:
    """The names a dashboard listening on ``host`` answers to in the ``Host`` header.

    Example::

        served_names("127.0.0.1")                  # {'localhost', '127.0.0.1', '::1'}
        served_names("0.0.0.0", ["flowlab.example"])   # ... | this machine's names | that one
    """
    names = {"localhost", "127.0.0.1", "::1", *allowed_hosts}
    if host not in WILDCARD:
        names.add(host)
    if host not in LOOPBACK:
        names |= {socket.gethostname(), socket.getfqdn()}
    return {host_name(n) for n in names if n and n.strip()}


def require_host(app, host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> None:
    """Make the Tornado application ``app`` refuse (403) every request — pages, static files,
    websockets — whose ``Host`` header is not one of :func:`served_names`.

    A page of another site that re-points its own name at this machine (DNS rebinding) then
    cannot read pages or open the websocket: its requests say ``Host: its.name``. Beyond
    loopback an IP address is accepted too: rebinding always goes through a name.
    """
    import tornado.web

    names = served_names(host, allowed_hosts)
    any_address = host not in LOOPBACK

    def served(request) -> bool:
        name = host_name(request.host or "")
        if name in names:
            return True
        if not any_address:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    class Refused(tornado.web.RequestHandler):
        def prepare(self):
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.finish(
                f"403: this flowlab dashboard does not answer to the host name "
                f"{host_name(self.request.host or '')!r}; open it as one of "
                f"{', '.join(sorted(names))}, or start it with "
                "`flowlab ui --allow-host NAME` for a name of yours (a proxy's)\n"
            )

    find_handler = app.find_handler

    def guarded(request, **kwargs):
        if not served(request):
            return app.get_handler_delegate(request, Refused)
        return find_handler(request, **kwargs)

    app.find_handler = guarded


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    allowed_hosts: Iterable[str] = (),
):
    """The dashboard's server (not started), its URL and its token (None on loopback unless
    given); ``allowed_hosts``: more names it answers to (see :func:`require_host`)."""
    import panel as pn
    import tornado.web

    from flowlab.dashboard.app import app_pages

    allowed_hosts = list(allowed_hosts)
    if host not in LOOPBACK and not token:
        token = secrets.token_urlsafe(24)
    port = port or free_port(host)
    shown_host = host if host not in WILDCARD else socket.gethostname()
    if host in LOOPBACK:
        # a name allowed for a proxy in front is where its pages (and websocket) come from
        origins = [f"{h}:{port}" for h in ("127.0.0.1", "localhost")] + list(allowed_hosts)
    else:
        origins = ["*"]  # the token guards every request, the websocket included
    server = pn.serve(
        app_pages(),
        port=port,
        address=host,
        websocket_origin=origins,
        show=False,
        start=False,
        title="flowlab",
        verbose=False,  # Panel's own "Launching server at" line has no token: ours says it
        extra_patterns=[(r"/", tornado.web.RedirectHandler, {"url": "runs"})],
    )
    if token:
        require_token(server._tornado, token)
    require_host(server._tornado, host, allowed_hosts)  # checked first: wraps the token check
    url = f"http://{shown_host}:{port}/runs" + (f"?token={token}" if token else "")
    return server, url, token


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    announce: Callable[[str], None] = print,
    allowed_hosts: Iterable[str] = (),
) -> None:
    """Serve the dashboard until stopped (Ctrl-C); ``announce`` gets the line with its URL.

    Example::

        serve(host="0.0.0.0", port=8765, token="s3cret")
    """
    server, url, _token = make_server(host, port, token, allowed_hosts)
    server.start()
    # said once its socket listens (make_server bound it): a client connecting at once waits
    # in the backlog until the loop starts, never refused
    announce(f"flowlab dashboard: {url}")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
