"""Workflows of the fault tests (tests/cli/test_run_faults.py, tests/store/test_handover_outage.py).

``lost_result``: ``produce`` ends at once, ``hold`` runs until the test writes ``release``, and
``consume`` reads ``produce``'s result only then (its worker may be killed meanwhile).
``held_run``: runs until the test writes ``release``."""

import os

from flowlab import Output, operator, types, workflow
from tests.polling import poll_for


@operator(returns=types.Schema(value=types.INTEGER))
def produce(marker: str):
    return Output(value=7 + (1 if os.path.exists(marker) else 0))


@operator(returns=types.Schema(done=types.BOOL))
def hold(release: str):
    poll_for(lambda: os.path.exists(release), timeout=300, what=f"{release} to be written")
    return Output(done=True)


@operator(returns=types.Schema(total=types.INTEGER))
def consume(value: int, done: bool):
    return Output(total=value + 1)


@workflow(
    input_schema=types.Schema(marker=types.TEXT, release=types.TEXT),
    returns=types.Schema(total=types.INTEGER),
)
def lost_result(marker, release):
    value = produce(marker=marker).value
    return Output(total=consume(value=value, done=hold(release=release).done).total)


@workflow(
    input_schema=types.Schema(x=types.INTEGER, release=types.TEXT),
    returns=types.Schema(total=types.INTEGER),
)
def held_run(x, release):
    """Runs until the test writes ``release``: its tasks are on the cluster meanwhile."""
    return Output(total=consume(value=x, done=hold(release=release).done).total)
