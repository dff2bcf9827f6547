"""Resources an operator asks for, and how they map onto Dask worker resources."""

from __future__ import annotations

from dataclasses import dataclass

from dask.utils import format_bytes, parse_bytes


@dataclass(frozen=True)
class Resources:
    """CPU cores, GPUs and memory one operator needs on its worker.

    Example::

        Resources(cpu=2, gpu=1, memory="4GB")
    """

    cpu: float = 1
    gpu: float = 0
    memory: int | str | None = None

    def __post_init__(self):
        for name in ("cpu", "gpu"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Resources.{name} must be a number >= 0, got {value!r}")
        if isinstance(self.memory, str):
            object.__setattr__(self, "memory", parse_bytes(self.memory))
        if self.memory is not None and (not isinstance(self.memory, int) or self.memory < 0):
            raise ValueError(
                f"Resources.memory must be bytes or a size like '2GB', got {self.memory!r}"
            )

    def as_dask(self) -> dict[str, float]:
        """The worker-resource names (CPU, GPU, MEMORY) this request needs, zeros left out."""
        wanted = {"CPU": self.cpu, "GPU": self.gpu, "MEMORY": self.memory or 0}
        return {k: v for k, v in wanted.items() if v}

    def to_json(self) -> dict:
        return {"cpu": self.cpu, "gpu": self.gpu, "memory": self.memory}

    def __str__(self) -> str:
        mem = format_bytes(self.memory) if self.memory else "-"
        return f"cpu={self.cpu}, gpu={self.gpu}, memory={mem}"
