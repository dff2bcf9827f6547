"""Running the prediction service on uvicorn (``flowlab serve``).

Why our own protocol class: uvicorn 0.54 with more than one worker accepts connections on a
path that leaves Nagle's algorithm on (uvicorn issue #3149), so every kept-alive answer waits
~40 ms for the client's delayed ACK. Setting TCP_NODELAY on each connection as it is made
removes that, with one worker or many.

Example::

    serve(host="127.0.0.1", port=8080, workers=2)
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile

try:  # httptools parses HTTP in C; h11 (pure Python) is the fallback
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
except ImportError:  # pragma: no cover - httptools not installed
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol

LOOPBACK = ("127.0.0.1", "::1", "localhost")
WILDCARD = ("0.0.0.0", "::", "")


class NoDelayProtocol(_BaseProtocol):
    """uvicorn's HTTP protocol with TCP_NODELAY set on every connection."""

    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # not a TCP socket after all
                pass
        super().connection_made(transport)


def worker_app():
    """The app of one ``flowlab serve`` worker process (:func:`create_app`'s, configured by
    the environment), with everything loaded so far frozen out of the garbage collector.

    Why: what is loaded by now (libraries, models) lives as long as the process; out of the
    collector's sight, a full collection costs milliseconds instead of a ~100 ms stop of every
    answer. Mirrored requests wait in the shadow's queue long enough to reach the oldest
    generation, which made those full collections frequent with a shadow.
    """
    import gc

    from flowlab.serving.app import create_app

    app = create_app()
    gc.freeze()
    return app


def token_for(host: str, token: str | None) -> str | None:
    """The token to require: the one given, or a new one when serving beyond loopback."""
    if token:
        return token
    if host in LOOPBACK:
        return None
    return secrets.token_urlsafe(24)


def allowed_hosts(host: str, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The names a request's ``Host`` header may give for a server bound to ``host``: the
    loopback names, ``host`` itself, on a wildcard address (0.0.0.0, ::) this machine's name,
    full name and addresses, and ``extra`` (``"*.example.com"`` for a domain, ``"*"`` for any).

    Example::

        allowed_hosts("127.0.0.1")                   # ['localhost', '127.0.0.1', '[::1]']
        allowed_hosts("0.0.0.0", ["models.example.com"])
    """
    names = ["localhost", "127.0.0.1", "[::1]"]
    if host in WILDCARD:
        names += _machine_names()
    else:
        names.append(host)
    for name in extra:
        if "*" in name[1:] or (name.startswith("*") and name != "*" and not name.startswith("*.")):
            raise ValueError(
                f"allowed host {name!r}: give a name (models.example.com), a domain "
                "(*.example.com) or * for any"
            )
        names.append(name)
    shown = []
    for name in names:
        name = name.strip().lower()
        if (name.startswith("[") and "]:" in name) or name.count(":") == 1:
            name = name.rsplit(":", 1)[0]  # a port: any port of an allowed name is allowed
        if ":" in name and not name.startswith("["):  # an IPv6 address: Host writes [::1]
            name = f"[{name}]"
        if name and name not in shown:
            shown.append(name)
    return shown


def _machine_names() -> list[str]:
    """This machine's host name, full name and addresses: what others call it by."""
    names = [socket.gethostname(), socket.getfqdn()]
    try:
        for *_, address in socket.getaddrinfo(socket.gethostname(), None):
            names.append(address[0])
    except OSError:  # a name that does not resolve: it has no addresses to add
        pass
    return names


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    workers: int = 1,
    token: str | None = None,
    body_limit: int | None = None,
    max_instances: int | None = None,
    allow_hosts: tuple[str, ...] | list[str] = (),
    log_level: str = "warning",
    announce=print,
) -> None:
    """Serve every model of the configured store's registry until interrupted.

    Requests must name this server in ``Host`` (see :func:`allowed_hosts`; ``allow_hosts`` adds
    names, e.g. a load balancer's).

    Example::

        serve(host="0.0.0.0", port=8080, allow_hosts=["models.example.com"])
    """
    import uvicorn

    token = token_for(host, token)
    if token:
        os.environ["FLOWLAB_SERVE_TOKEN"] = token  # workers are new processes: tell them
    if body_limit:
        os.environ["FLOWLAB_SERVE_BODY_LIMIT"] = str(body_limit)
    if max_instances:
        os.environ["FLOWLAB_SERVE_MAX_INSTANCES"] = str(max_instances)
    names = allowed_hosts(host, allow_hosts)
    os.environ["FLOWLAB_SERVE_ALLOWED_HOSTS"] = ",".join(names)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # one /metrics for all workers: prometheus-client's multiprocess mode
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="flowlab-metrics-")
    config = uvicorn.Config(
        "flowlab.serving.server:worker_app",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        http="flowlab.serving.server:NoDelayProtocol",
        loop="auto",
        factory=True,
    )
    # Listen first, then say where: a client that reads the line and connects at once waits
    # in the backlog while the app loads its models, instead of being refused.
    sock = listening_socket(host, port, config.backlog)
    shown = f"[{host}]" if ":" in host else host
    announce(f"flowlab serving on http://{shown}:{sock.getsockname()[1]}/v1/models")
    if token:
        announce(f"token: {token}  (send 'Authorization: Bearer {token}')")
    if "*" not in names:
        announce(f"answering requests for: {', '.join(names)}  (more with --allow-host)")
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C: stop quietly, as uvicorn.run does
        pass
    finally:
        sock.close()


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free one) and listening, ready to hand to
    uvicorn; OSError (the port is taken) says which address.

    Example::

        sock = listening_socket("127.0.0.1", 0)
        sock.getsockname()[1]   # the port it listens on
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)  # the worker processes serve it too
    return sock
