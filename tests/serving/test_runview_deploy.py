"""The run view's Deploy button: shown for a succeeded run with a MODEL output, deploys it."""

from __future__ import annotations

import uuid

import flowlab
from flowlab.library import data
from flowlab.notebook.runview import RunView


def test_deploy_button_deploys_a_run_with_a_model_output(iris_versions):
    run = iris_versions["runs"][1]
    view = RunView(run)
    view.wait_shown(timeout=60)
    assert view.deploy_button.layout.display is None
    name = f"iris-view-{uuid.uuid4().hex[:6]}"
    view.deploy_name.value = name
    view.deploy_button.click()
    assert f"deployed as {name} version 1" in view.message.value
    assert flowlab.models.get(name)["versions"][0]["run"] == run.id
    view.deploy_name.value = "bad name"
    view.deploy_button.click()
    assert "model name &#x27;bad name&#x27;" in view.message.value


def test_no_deploy_button_without_a_model_output(client):
    from tests.serving.workflows import serving_no_model

    run = serving_no_model.launch(labeled_data=data.iris())
    run.wait(timeout=240)
    view = RunView(run)
    view.wait_shown(timeout=60)
    assert view.deploy_button.layout.display == "none"
