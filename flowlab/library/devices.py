"""Which device an operator computes on: CUDA when it was given a GPU, else the CPU."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")


def worker_has_gpu() -> bool:
    """True when this process runs on a Dask worker advertising a GPU, or sees a GPU at all."""
    try:
        from distributed import get_worker

        resources = get_worker().state.total_resources
        if resources.get("GPU", 0) > 0:
            return True
    except (ValueError, AttributeError):
        pass
    from flowlab.core.clusters.cluster import gpu_count

    return gpu_count() > 0


def choose_device(device: str, owner: str) -> str:
    """``"cuda"`` or ``"cpu"``; ``"auto"`` picks CUDA when a GPU is there.

    Asking for ``"cuda"`` where there is none is an error naming the operator.

    Example::

        choose_device("auto", "TrainNeuralNetOperator")   # "cpu" on a laptop
    """
    if device == "cpu":
        return "cpu"
    has_gpu = worker_has_gpu()
    if device == "cuda" and not has_gpu:
        raise RuntimeError(
            f"input 'device' of operator '{owner}': 'cuda' was asked for but this worker "
            "has no GPU; use device='auto', or the operator's GPU twin (Resources(gpu=1)) "
            "so that it is scheduled on a GPU worker"
        )
    return "cuda" if has_gpu else "cpu"


def torch_device(device: str, owner: str) -> str:
    """Like :func:`choose_device`, also requiring that torch itself sees CUDA."""
    import torch

    chosen = choose_device(device, owner)
    if chosen == "cuda" and not torch.cuda.is_available():
        if device == "cuda":
            raise RuntimeError(
                f"input 'device' of operator '{owner}': 'cuda' was asked for but this torch "
                f"build ({torch.__version__}) has no CUDA support"
            )
        return "cpu"
    return chosen
