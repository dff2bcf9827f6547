"""A real ``flowlab serve`` process on 127.0.0.1 answers like the model does in process."""

from __future__ import annotations

import json
import math
import time

import pytest

import flowlab
from flowlab.library import data
from tests.polling import poll_for
from tests.serving.conftest import Server

FEATURES = ["petal_width", "petal_height", "sepal_width", "sepal_height"]


@pytest.fixture
def model(iris_versions):
    """A fresh model name per test: the session's two runs as versions 1 and 2."""
    import uuid

    shallow, deep = iris_versions["runs"]
    name = f"iris-{uuid.uuid4().hex[:8]}"
    shallow.deploy(name), deep.deploy(name)
    flowlab.models.alias(name, "production", 1)
    flowlab.models.alias(name, "candidate", 2)
    return name


def instances(n: int = 30) -> list[dict]:
    frame = data.iris().sample(n, random_state=3)
    return [{f: int(row[f]) for f in FEATURES} for _, row in frame.iterrows()]


def predict(server, name, body, **headers):
    return server.client.post(f"/v1/models/{name}:predict", json=body, headers=headers)


def test_http_predictions_equal_in_process_predictions(server, model, iris_versions):
    rows = instances()
    answer = predict(server, model, {"instances": rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = iris_versions["runs"][0].outputs.model.predict(
        data.iris().sample(30, random_state=3)[FEATURES]
    )
    assert body["predictions"] == list(expected)
    assert body["model_name"] == model and body["model_version"] == 1
    assert answer.headers["X-Flowlab-Version"] == "1"
    assert flowlab.models.predict(model, rows) == body["predictions"]
    # a list in schema order means the same as an object keyed by column name
    as_lists = [[r[f] for f in FEATURES] for r in rows]
    assert predict(server, model, {"instances": as_lists}).json()["predictions"] == list(expected)


def test_without_alias_the_newest_version_answers(server, iris_versions):
    import uuid

    name = f"iris-{uuid.uuid4().hex[:8]}"
    for run in iris_versions["runs"]:
        run.deploy(name)
    poll_for(
        lambda: predict(server, name, {"instances": instances(1)}).status_code == 200,
        10,
        what=f"the service to serve {name}",
    )
    assert predict(server, name, {"instances": instances(1)}).json()["model_version"] == 2


def test_split_90_10_lands_within_3_sd_and_sticky_keys_never_switch(server, model):
    flowlab.models.split(model, {"production": 0.9, "candidate": 0.1})
    row = {"instances": instances(1)}
    poll_for(lambda: _has_split(server, model), 10, what="the service to follow the split")
    n = 2000
    first = {}
    for i in range(n):
        answer = predict(server, model, row, **{"X-Flowlab-Key": f"user-{i}"})
        assert answer.status_code == 200
        first[i] = int(answer.headers["X-Flowlab-Version"])
    candidate = sum(v == 2 for v in first.values())
    sd = math.sqrt(n * 0.1 * 0.9)
    assert abs(candidate - 0.1 * n) <= 3 * sd, candidate
    for i in range(0, n, 20):  # the same key always gets the same version
        for _ in range(3):
            again = predict(server, model, row, **{"X-Flowlab-Key": f"user-{i}"})
            assert int(again.headers["X-Flowlab-Version"]) == first[i]


def _has_split(server, model) -> bool:
    versions = {
        predict(server, model, {"instances": instances(1)}, **{"X-Flowlab-Key": f"k{i}"}).headers[
            "X-Flowlab-Version"
        ]
        for i in range(60)
    }
    return versions == {"1", "2"}


def test_shadow_sees_every_mirrored_request_and_report_counts_them(server, model, iris_versions):
    flowlab.models.shadow(model, "candidate")
    _following(server, model, iris_versions)  # no request before the shadow: none unmirrored
    before = _mirrored(model)
    rows = instances(150)
    ids = []
    for i in range(0, 150, 1):
        answer = predict(server, model, {"instances": [rows[i]]})
        assert answer.status_code == 200 and answer.headers["X-Flowlab-Version"] == "1"
        ids.append((answer.json()["id"], rows[i]))
    poll_for(lambda: _mirrored(model) >= before + 150, 15, what="150 mirrored requests")
    assert _mirrored(model) == before + 150
    report = flowlab.models.shadow_report(model).to_pandas().set_index("version")
    assert report.loc[2, "mirrored"] == before + 150
    assert 0 < report.loc[2, "agreement"] < 1  # a depth-1 and a depth-3 tree disagree sometimes
    assert report.loc[1, "served"] >= 150 and report.loc[2, "shadow_p50_ms"] > 0
    # labelled feedback joins the kept samples: accuracy per version
    frame = data.iris()
    # samples are a reservoir of at most 100 a second: post for every request, so that at
    # least 40 of the kept samples get their label whatever the machine's speed
    for request_id, row in ids:
        match = frame[(frame[FEATURES] == [row[f] for f in FEATURES]).all(axis=1)]
        label = match["species"].iloc[0]
        posted = server.client.post(
            f"/v1/models/{model}:feedback", json={"id": request_id, "label": label}
        )
        assert posted.status_code == 200

    def report_now():
        return flowlab.models.shadow_report(model).to_pandas().set_index("version")

    poll_for(lambda: report_now().loc[1, "labelled"] >= 40, 30, what="40 labelled samples")
    report = report_now()
    assert report.loc[2, "accuracy"] > report.loc[1, "accuracy"]  # the deeper tree is better
    assert "shadow report" in flowlab.models.shadow_report(model)._repr_html_()


def _following(server, model, iris_versions) -> None:
    """Wait until the service routes ``model`` as the registry has it now, without a request to
    it: a marker model deployed after the change shows in the service's listing only once its
    routings were rebuilt from a reading of the registry that already had the change."""
    import uuid

    marker = f"{model}-marker-{uuid.uuid4().hex[:6]}"
    iris_versions["runs"][0].deploy(marker)
    poll_for(
        lambda: marker in server.client.get("/v1/models").json()["models"],
        what=f"the service to follow the registry's change to {model}",
    )


def _mirrored(model) -> int:
    report = flowlab.models.shadow_report(model).to_pandas()
    return int(report["mirrored"].sum())


def test_alias_moved_while_serving_takes_effect_within_a_second(server, model):
    row = {"instances": instances(1)}
    flowlab.models.alias(model, "production", 1)  # whatever an earlier test left it on
    poll_for(
        lambda: predict(server, model, row).headers["X-Flowlab-Version"] == "1",
        60,
        what="the service to serve version 1",
    )
    timings = []
    for target in (2, 1, 2):  # a few moves: one slow poll on a loaded machine is not the rule
        moved = time.monotonic()
        flowlab.models.alias(model, "production", target)
        poll_for(
            lambda target=target: (
                predict(server, model, row).headers["X-Flowlab-Version"] == str(target)
            ),
            10,
            what=f"the service to follow the alias to version {target}",
            every=0.01,
        )
        timings.append(time.monotonic() - moved)
    assert min(timings) < 1.0, timings


@pytest.mark.parametrize(
    "case",
    ["malformed json", "missing field", "mistyped field", "unknown model", "body over limit"],
)
def test_bad_input_gets_its_status_and_the_next_good_request_succeeds(server, model, case):
    good = {"instances": instances(2)}
    if case == "malformed json":
        answer = server.client.post(
            f"/v1/models/{model}:predict",
            content=b'{"instances": [',
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 400 and "not valid JSON" in answer.json()["error"]
    elif case == "missing field":
        rows = instances(3)
        del rows[1]["sepal_width"]
        answer = predict(server, model, {"instances": rows})
        assert answer.status_code == 400
        assert answer.json()["error"].startswith(
            "instance 1: field 'sepal_width' (INTEGER) is missing"
        )
    elif case == "mistyped field":
        rows = instances(3)
        rows[2]["petal_width"] = "wide"
        answer = predict(server, model, {"instances": rows})
        assert answer.status_code == 400
        assert (
            "instance 2: field 'petal_width': expected an integer (INTEGER), found str"
            in answer.json()["error"]
        )
    elif case == "unknown model":
        answer = predict(server, "no-such-model", good)
        assert (
            answer.status_code == 404 and "no model named 'no-such-model'" in answer.json()["error"]
        )
    else:
        big = b'{"instances": [' + b"1," * (5 * 1024 * 1024 + 10) + b"1]}"
        answer = server.client.post(f"/v1/models/{model}:predict", content=big)
        assert answer.status_code == 413 and "over the limit" in answer.json()["error"]
    after = predict(server, model, good)
    assert after.status_code == 200 and len(after.json()["predictions"]) == 2


def test_with_a_token_a_request_without_it_is_refused(iris_versions):
    server = Server("--token", "s3cret")
    try:
        name = iris_versions["name"]
        body = {"instances": instances(1)}
        assert predict(server, name, body).status_code == 401
        assert predict(server, name, body, Authorization="Bearer wrong").status_code == 401
        assert server.client.get("/v1/models").status_code == 401
        assert predict(server, name, body, Authorization="Bearer s3cret").status_code == 200
    finally:
        server.stop()


def test_beyond_loopback_a_token_is_generated():
    from flowlab.serving.server import token_for

    assert token_for("127.0.0.1", None) is None
    assert len(token_for("0.0.0.0", None)) >= 24
    assert token_for("0.0.0.0", "given") == "given"


def test_model_listing_description_and_metrics(server, model):
    predict(server, model, {"instances": instances(3)})
    poll_for(
        lambda: model in server.client.get("/v1/models").json()["models"],
        10,
        what=f"{model} in the service's listing",
    )
    info = server.client.get(f"/v1/models/{model}").json()
    assert [v["version"] for v in info["versions"]] == [1, 2]
    assert info["aliases"] == {"production": 1, "candidate": 2}
    assert info["input_schema"]["petal_width"]["x-flowlab-type"] == "INTEGER"
    assert server.client.get("/v1/models/nope").status_code == 404
    metrics = server.client.get("/metrics").text
    assert f'flowlab_predictions_total{{model="{model}",outcome="ok",version="1"}}' in metrics
    assert "flowlab_prediction_seconds_bucket" in metrics
    assert server.client.get("/healthz").json()["status"] == "ok"


def test_deploy_without_a_model_output_is_a_clear_error(client):
    from tests.serving.workflows import serving_no_model

    run = serving_no_model.launch(labeled_data=data.iris())
    run.result(timeout=240)
    with pytest.raises(
        ValueError, match=r"has no MODEL output 'model'; its outputs are logloss \(float\)"
    ):
        run.deploy("iris-nothing")


def test_model_input_accepts_a_deployed_model(client, model, iris_versions):
    from tests.serving.workflows import serving_evaluate

    frame = data.iris()
    run = serving_evaluate.launch(model=f"{model}@production", dataset=frame)
    predictions = run.result(timeout=240).predictions
    expected = iris_versions["runs"][0].outputs.model.predict(frame[FEATURES])
    assert list(predictions["species"]) == list(expected)
    run2 = serving_evaluate.launch(model=f"{model}/2", dataset=frame)
    expected2 = iris_versions["runs"][1].outputs.model.predict(frame[FEATURES])
    assert list(run2.result(timeout=240).predictions["species"]) == list(expected2)
    with pytest.raises(TypeError, match="no alias 'staging'"):
        serving_evaluate.launch(model=f"{model}@staging", dataset=frame)


def test_json_bodies_round_trip_in_kserve_shape(server, model):
    answer = server.client.post(
        f"/v1/models/{model}:predict",
        content=json.dumps({"instances": instances(1)}),
        headers={"Content-Type": "application/json"},  # the service takes JSON and only JSON
    )
    assert set(answer.json()) == {"predictions", "model_name", "model_version", "id"}
