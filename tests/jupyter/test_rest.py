"""flowlab's REST API in a real Jupyter Server: every endpoint, with and without the token."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import urllib.error
import urllib.parse
import urllib.request

import pytest


def get(server, path: str, token: str | None = "default", timeout: float = 30):
    """(status, JSON body) of GET ``path``; ``token=None`` sends no token."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"token {server['token'] if token == 'default' else token}"
    request = urllib.request.Request(server["url"] + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body.decode(errors="replace")


ENDPOINTS = [
    "/flowlab/api/runs",
    "/flowlab/api/runs/x",
    "/flowlab/api/searches",
    "/flowlab/api/workflows",
    "/flowlab/api/states",
    "/flowlab/api/me",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_refuses_a_request_without_the_token(jupyter_server, path):
    assert get(jupyter_server, path, token=None)[0] == 403
    assert get(jupyter_server, path, token="not-the-token")[0] == 403


def test_runs_lists_summaries_newest_first_with_scalar_outputs(jupyter_server, made_runs):
    status, runs = get(jupyter_server, "/flowlab/api/runs")
    assert status == 200
    ids = [r["id"] for r in runs]
    assert set(made_runs["iris"]) | {made_runs["failed"]} <= set(ids)
    assert [r["created"] for r in runs] == sorted((r["created"] for r in runs), reverse=True)
    iris = next(r for r in runs if r["id"] == made_runs["iris"][0])
    assert {"id", "workflow", "status", "created", "outputs"} <= set(iris)
    assert iris["workflow"] == "iris" and iris["status"] == "succeeded"
    assert isinstance(iris["outputs"]["logloss"], float)
    assert "model" not in iris["outputs"]  # only scalars: artifacts are in the run's detail


def test_runs_takes_a_query_and_a_limit(jupyter_server, made_runs):
    query = urllib.parse.quote('workflow = "iris" order by outputs.logloss')
    status, runs = get(jupyter_server, f"/flowlab/api/runs?q={query}&limit=2")
    assert status == 200 and len(runs) == 2
    assert {r["workflow"] for r in runs} == {"iris"}
    losses = [r["outputs"]["logloss"] for r in runs]
    assert losses == sorted(losses)
    # other tests share the session's store: look for this test's failed run among the failed
    status, runs = get(
        jupyter_server, "/flowlab/api/runs?q=" + urllib.parse.quote('status = "failed"')
    )
    assert status == 200 and made_runs["failed"] in [r["id"] for r in runs]
    assert {r["status"] for r in runs} == {"failed"}


def test_malformed_query_is_400_with_a_message_naming_the_column(jupyter_server):
    query = "outputs.logloss < < 1"
    status, body = get(jupyter_server, "/flowlab/api/runs?q=" + urllib.parse.quote(query))
    assert status == 400
    assert re.search(r"\bcolumn 19\b", body["message"]), body


def test_limit_that_is_not_a_number_is_400(jupyter_server):
    status, body = get(jupyter_server, "/flowlab/api/runs?limit=ten")
    assert status == 400 and "limit" in body["message"] and "'ten'" in body["message"]


def test_run_detail_has_inputs_outputs_operators_and_rendered_html(jupyter_server, made_runs):
    run_id = made_runs["iris"][0]
    # the first detail may wait for the server to import skops (reading the MODEL output)
    status, run = get(jupyter_server, f"/flowlab/api/runs/{run_id}", timeout=180)
    assert status == 200
    assert run["id"] == run_id and run["status"] == "succeeded"
    assert set(run["inputs"]) == {"labeled_data", "unlabeled_data"}
    assert {"model", "logloss", "predictions"} <= set(run["outputs"])
    # an earlier run of the session with the same inputs may have served it from the cache
    assert run["operators"]["TrainDecisionTreeOperator"]["state"] in ("succeeded", "cached")
    assert 'data-output="logloss"' in run["html"] and "<table" in run["html"]
    assert "<svg" in run["dag"]


def test_failed_run_detail_carries_the_error_and_the_operator_logs(jupyter_server, made_runs):
    status, run = get(jupyter_server, f"/flowlab/api/runs/{made_runs['failed']}")
    assert status == 200 and run["status"] == "failed"
    assert "refused on purpose" in run["error"]["message"]
    op = run["operators"]["refuse"]
    assert op["state"] == "failed"
    assert "refusing 2.0" in (op["logs"] or "")
    assert "ValueError" in (op["traceback"] or "")


def test_states_are_records_lists_with_their_colours(jupyter_server):
    from flowlab.core.record import records
    from flowlab.render import STATE_COLOURS

    status, states = get(jupyter_server, "/flowlab/api/states")
    assert status == 200
    assert states["run_statuses"] == list(records.RUN_STATUSES)
    assert states["operator_states"] == list(records.OPERATOR_STATES)
    assert states["terminal_run"] == list(records.TERMINAL_RUN)
    assert states["terminal_operator"] == list(records.TERMINAL_OPERATOR)
    assert {"pruned", "skipped"} <= set(states["colours"])
    assert states["colours"] == STATE_COLOURS


@pytest.fixture(scope="module")
def pruned_and_branched(client):
    """A trial its study's pruner stopped (status ``pruned``) and a run whose branch skipped
    the side not taken (an operator ``skipped``)."""
    import optuna

    import flowlab
    from tests.sweeps.ops import decide, tune

    study = tune.optimize(
        objective="loss",
        space={"lr": flowlab.space.float(0.5, 1.0)},
        n_trials=1,
        # every loss of tune with lr >= 0.5 is >= 5: stopped at its first report
        pruner=optuna.pruners.ThresholdPruner(upper=1.0),
        steps=20,
        pause=0.2,
    ).wait(timeout=180)
    branched = decide.launch(x=4, cache=False)
    branched.wait(timeout=120)
    return {"pruned": study.runs[0].id, "branched": branched.id}


def test_pruned_and_skipped_run_details_are_finished(jupyter_server, pruned_and_branched):
    status, pruned = get(jupyter_server, f"/flowlab/api/runs/{pruned_and_branched['pruned']}")
    assert status == 200 and pruned["status"] == "pruned"
    assert pruned["finished"] is True  # the run tab stops polling
    assert pruned["state_colours"]["pruned"]
    status, branched = get(jupyter_server, f"/flowlab/api/runs/{pruned_and_branched['branched']}")
    assert status == 200 and branched["finished"] is True
    assert branched["operators"]["halve"]["state"] == "skipped"
    assert branched["state_colours"]["skipped"]


def test_finished_and_failed_run_details_are_finished(jupyter_server, made_runs):
    for run_id in (made_runs["iris"][0], made_runs["failed"]):
        status, run = get(jupyter_server, f"/flowlab/api/runs/{run_id}", timeout=180)
        assert status == 200 and run["finished"] is True


def test_unknown_run_is_404_naming_it(jupyter_server):
    status, body = get(jupyter_server, "/flowlab/api/runs/no-such-run")
    assert status == 404 and "no-such-run" in body["message"]


def test_searches_lists_the_saved_searches(jupyter_server):
    status, searches = get(jupyter_server, "/flowlab/api/searches")
    assert status == 200
    assert {
        "name": "good iris",
        "query": 'workflow = "iris" and outputs.logloss < 100',
        "order_by": None,
        "limit": None,
    } in searches


def test_workflows_lists_registered_workflows_with_input_json_schemas(jupyter_server):
    status, workflows = get(jupyter_server, "/flowlab/api/workflows")
    assert status == 200
    by_name = {w["name"]: w for w in workflows}
    schema = by_name["classification"]["input_schema"]
    assert schema["type"] == "object"
    assert schema["properties"]["algorithm"]["enum"][0] == "gbdt"
    assert "dataset" in schema["required"]


# a notebook's process: the workflows live in __main__ (captured by value), one is launched and
# one only registered; the other captures too much of its globals to be rebuilt elsewhere
NOTEBOOK_PROCESS = textwrap.dedent(
    """
    from flowlab import Output, types, workflow

    @workflow(input_schema=types.Schema(n=types.INTEGER(min=1), label=types.TEXT(default="a")),
              returns=types.Schema(total=types.INTEGER))
    def elsewhere_sum(n, label="a"):
        \"\"\"Sums 0..n-1 (defined in another process).\"\"\"
        return Output(total=sum(range(n)))

    BIG = b"x" * 6_000_000

    @workflow(returns=types.Schema(size=types.INTEGER))
    def elsewhere_big(k: int = 1):
        return Output(size=len(BIG) * k)

    assert elsewhere_sum.launch(n=4).result(timeout=120).total == 6
    elsewhere_big.register()
    """
)


def test_workflows_lists_a_workflow_defined_and_launched_in_another_process(jupyter_server, client):
    env = dict(os.environ, FLOWLAB_SCHEDULER=client.scheduler.address)
    done = subprocess.run(
        [sys.executable, "-c", NOTEBOOK_PROCESS], env=env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    status, workflows = get(jupyter_server, "/flowlab/api/workflows")
    assert status == 200
    by_name = {w["name"]: w for w in workflows}
    launched = by_name["elsewhere_sum"]
    assert launched["rebuildable"] is True and launched["reason"] is None
    assert "another process" in launched["description"]
    schema = launched["input_schema"]
    assert schema["properties"]["n"]["minimum"] == 1, schema
    assert schema["required"] == ["n"]  # label has a default
    big = by_name["elsewhere_big"]
    assert big["rebuildable"] is False
    assert "KiB" in big["reason"] and "module" in big["reason"], big["reason"]
    # the server's own (the library's) are listed too, and rebuildable
    assert by_name["classification"]["rebuildable"] is True
