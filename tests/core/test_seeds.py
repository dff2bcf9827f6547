"""The same inputs and seed give the same draws, in every process and every worker thread.

Inside an operator, ``random``'s and ``numpy.random``'s module functions, NumPy's global
RandomState (scikit-learn's ``random_state=None``), ``flowlab.rng()`` and
``flowlab.torch_generator()`` draw from generators of the call's own, seeded from its seed:
two operators running at once in one worker's threads, or the worker's own draws, never
change them. Each test launches on real clusters with ``cache=False``, so every launch runs
the operators again.
"""

from __future__ import annotations

import json
import pickle
import random
import threading

import numpy
import psutil
import pytest
from distributed import Client, LocalCluster

import flowlab
from flowlab.core.definition.randomness import install_dispatch, operator_randomness
from tests.core import seed_ops

# real clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

REPETITIONS = 10


@pytest.fixture(scope="module")
def process_client():
    """One worker process running two operators at once (two threads)."""
    cluster = flowlab.cluster.start_local_cluster(n_workers=1, threads_per_worker=2)
    with Client(cluster) as client:
        client.wait_for_workers(1, timeout=120)
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def thread_client():
    """A worker in this very process, with two threads: its operators share the process (and
    its global generators) with the test and with each other."""
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            resources={"CPU": 2, "MEMORY": psutil.virtual_memory().total},
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(params=["process", "thread"])
def two_threads(request):
    """A client whose single worker has two threads, in a process of its own or in this one."""
    return request.getfixturevalue(f"{request.param}_client")


class GlobalDraws:
    """Draws from (and reseeds) this process's global generators in a thread, until stopped:
    what another library or the worker itself does beside the operators."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._draw, daemon=True)

    def _draw(self) -> None:
        while not self.stop.is_set():
            random.seed(0)
            numpy.random.seed(0)
            random.random()
            numpy.random.rand(10)
            self.stop.wait(0.0005)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _drawn(text: str) -> dict:
    return json.loads(text)


def test_operators_running_at_once_draw_the_same_numbers_in_every_launch(two_threads):
    count = 200
    launches = []
    with GlobalDraws():
        for _ in range(REPETITIONS):
            out = seed_ops.four_at_once.launch(
                count=count, seed=1234, cache=False, client=two_threads
            ).result(timeout=120)
            launches.append({name: _drawn(out[name]) for name in "abcd"})
    first = launches[0]
    for launch in launches[1:]:
        assert launch == first
    # each operator drew exactly its own seed's sequence: nothing else drew from it
    for drawn in first.values():
        assert drawn == seed_ops.expected_draws(drawn["seed"], count)
    assert len({drawn["seed"] for drawn in first.values()}) == 4


def test_another_seed_draws_other_numbers(process_client):
    one = seed_ops.four_at_once.launch(count=5, seed=1, cache=False, client=process_client)
    two = seed_ops.four_at_once.launch(count=5, seed=2, cache=False, client=process_client)
    first, second = one.result(timeout=120), two.result(timeout=120)
    assert _drawn(first.a)["steps"] != _drawn(second.a)["steps"]
    assert _drawn(second.a) == seed_ops.expected_draws(_drawn(second.a)["seed"], 5)


def test_each_mapped_element_draws_from_its_own_seed_in_every_launch(two_threads):
    labels = [f"element-{i}" for i in range(6)]
    count = 100
    launches = []
    with GlobalDraws():
        for _ in range(REPETITIONS):
            out = seed_ops.mapped_draws.launch(
                labels=labels, count=count, seed=99, cache=False, client=two_threads
            ).result(timeout=120)
            launches.append([_drawn(text) for text in out.drawn])
    first = launches[0]
    for launch in launches[1:]:
        assert launch == first
    assert len({element["seed"] for element in first}) == len(labels)
    for element in first:
        assert element == seed_ops.expected_draws(element["seed"], count)


def test_a_retried_attempt_draws_what_an_attempt_that_succeeds_at_once_draws(
    process_client, store, tmp_path
):
    marker = str(tmp_path / "failed-once")
    retried = seed_ops.retried_draws.launch(
        marker=marker, seed=7, cache=False, client=process_client
    )
    drawn_on_retry = _drawn(retried.result(timeout=120).drawn)
    # the marker now exists: the same launch succeeds at its first attempt
    at_once = seed_ops.retried_draws.launch(
        marker=marker, seed=7, cache=False, client=process_client
    )
    drawn_at_once = _drawn(at_once.result(timeout=120).drawn)
    attempts = {
        run.id: store.get_run(run.id)["operators"]["draws_then_fails_once"]["attempts"]
        for run in (retried, at_once)
    }
    assert attempts == {retried.id: 2, at_once.id: 1}
    assert drawn_on_retry == drawn_at_once
    assert drawn_at_once == seed_ops.expected_draws(drawn_at_once["seed"], 50)


def test_torch_draws_are_the_same_in_every_launch(two_threads, client):
    """``flowlab.torch_generator()`` is the call's own, even with two operators at once;
    torch's global generator is seeded at each call's start (one operator per worker)."""
    pytest.importorskip("torch")
    from tests.core import torch_seed_ops

    launches = [
        torch_seed_ops.torch_at_once.launch(seed=5, cache=False, client=two_threads).result(
            timeout=180
        )
        for _ in range(3)
    ]
    drawn = [{name: _drawn(out[name]) for name in ("a", "b")} for out in launches]
    assert drawn[0] == drawn[1] == drawn[2]
    for one in drawn[0].values():
        assert one["generator"] == torch_seed_ops.expected_generator_draws(one["seed"], "cpu")
    alone = [
        _drawn(torch_seed_ops.torch_alone.launch(seed=5, cache=False).result(timeout=180).drawn)
        for _ in range(2)
    ]
    assert alone[0] == alone[1]
    assert alone[0]["global"] == torch_seed_ops.expected_global_draws(alone[0]["seed"])


def test_torch_global_draws_are_the_same_with_two_operators_at_once(two_threads):
    """Two operators drawing from torch's global generator (``torch.rand``, ``nn.init``,
    dropout) in one worker's two threads each get what they get alone: an operator whose code
    names torch holds the process's torch lock while it runs with its seed."""
    pytest.importorskip("torch")
    from tests.core import torch_seed_ops

    assert torch_seed_ops.torch_global_slowly.draws_with_torch
    with GlobalDraws():
        launches = [
            torch_seed_ops.torch_global_at_once.launch(
                seed=8, cache=False, client=two_threads
            ).result(timeout=180)
            for _ in range(REPETITIONS)
        ]
    drawn = [{name: _drawn(out[name]) for name in ("a", "b")} for out in launches]
    for launch in drawn[1:]:
        assert launch == drawn[0]
    for one in drawn[0].values():
        assert one == torch_seed_ops.expected_global_slowly(one["seed"])
    assert drawn[0]["a"]["seed"] != drawn[0]["b"]["seed"]


def test_operators_that_do_not_name_torch_never_hold_the_torch_lock():
    """Only code that names torch (imported in its module or its body) is serialised."""
    from tests.core import torch_seed_ops

    def imports_inside():
        import torch  # noqa: F401

    assert not seed_ops.draws.draws_with_torch
    assert torch_seed_ops.torch_draws.draws_with_torch
    assert flowlab.operator(imports_inside).draws_with_torch


@pytest.mark.gpu
def test_torch_cuda_draws_are_the_same_in_every_launch():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from tests.core import torch_seed_ops

    with operator_randomness(5):
        first = torch.rand(5, device="cuda", generator=flowlab.torch_generator("cuda")).tolist()
        global_first = torch.rand(5, device="cuda").tolist()
    with operator_randomness(5):
        second = torch.rand(5, device="cuda", generator=flowlab.torch_generator("cuda")).tolist()
        global_second = torch.rand(5, device="cuda").tolist()
    assert first == second == torch_seed_ops.expected_generator_draws(5, "cuda", 5)
    assert global_first == global_second


def test_outside_operators_the_global_generators_are_the_usual_ones():
    install_dispatch()
    random.seed(3)
    numpy.random.seed(3)
    from_module = (random.random(), float(numpy.random.rand()))
    assert from_module == (random.Random(3).random(), float(numpy.random.RandomState(3).rand()))
    random.seed(3)
    with operator_randomness(11):
        random.random()  # the call's own generator: the global one is left where it was
    assert random.random() == random.Random(3).random()
    assert isinstance(flowlab.rng(), numpy.random.Generator)


def test_random_module_functions_still_travel_to_workers(client):
    """The dispatching functions are the modules' attributes: they pickle by reference, as
    the bound methods they stand for did (``client.submit(numpy.random.rand, 3)``)."""
    for function in (random.random, random.shuffle, numpy.random.rand, numpy.random.seed):
        assert pickle.loads(pickle.dumps(function)) is function
    assert len(client.submit(numpy.random.rand, 3, pure=False).result(timeout=60)) == 3
    assert 0 <= client.submit(random.random, pure=False).result(timeout=60) < 1
