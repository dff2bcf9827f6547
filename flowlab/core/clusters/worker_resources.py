"""What a Dask worker advertises to flowlab's operators (``CPU``, ``MEMORY``, ``GPU``), as
text and as ``dask worker`` arguments: one place for every deployment (``cluster up``, its
Slurm jobs, dask-jobqueue, Kubernetes, dask-gateway).

Example::

    parse_resources("CPU=1,MEMORY=4GB")      # {"CPU": 1.0, "MEMORY": 4e9}
    worker_resources_flag(8, "32GB", gpus=1)  # ["--resources", "CPU=8,MEMORY=3.2e+10,GPU=1"]
"""

from __future__ import annotations

from dask.utils import parse_bytes


def parse_resources(text: str) -> dict[str, float]:
    """``"CPU=1,MEMORY=4GB,GPU=1"`` → ``{"CPU": 1.0, "MEMORY": 4e9, "GPU": 1.0}``."""
    found: dict[str, float] = {}
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(
                f"resources {text!r}: expected NAME=VALUE pairs separated by commas, like "
                f"CPU=1,MEMORY=4GB,GPU=1; found {part!r}"
            )
        name = name.strip()
        try:
            found[name] = float(value) if name != "MEMORY" else float(parse_bytes(value))
        except ValueError:
            raise ValueError(
                f"resources {text!r}: {name}={value!r} is not a number"
                + (" or a size like 4GB" if name == "MEMORY" else "")
            ) from None
    return found


def worker_resources_flag(cores: float, memory: int | str, gpus: float = 0) -> list[str]:
    """The ``dask worker`` arguments that make a worker advertise flowlab's resources.

    For any deployment that starts ``dask worker`` itself (dask-jobqueue's
    ``worker_extra_args``, a Kubernetes pod spec, dask-gateway options).

    Example::

        SLURMCluster(cores=8, memory="32GB",
                     worker_extra_args=flowlab.cluster.worker_resources_flag(8, "32GB", gpus=1))
    """
    memory = parse_bytes(memory) if isinstance(memory, str) else int(memory)
    resources = {"CPU": cores, "MEMORY": memory, "GPU": gpus}
    return ["--resources", ",".join(f"{k}={v:g}" for k, v in resources.items() if v)]
