"""The prediction service: models from the registry served over HTTP (KServe v1 protocol).

Example::

    from flowlab.serving import create_app, serve
    serve(host="127.0.0.1", port=8080)      # what `flowlab serve` runs
"""

from flowlab.serving.app import create_app
from flowlab.serving.engine import ModelService
from flowlab.serving.server import serve

__all__ = ["ModelService", "create_app", "serve"]
