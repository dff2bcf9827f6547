"""Typeaheads for features in JupyterLab, in a real browser (issue 26, item 6): part of a
column name in the FEATURES box offers the columns completing it (the box's datalist, the
names before it kept) and says what it matches, where it said the name was wrong."""

from __future__ import annotations

import pytest

# the launch form of iris_form in a notebook run in a fresh kernel
from tests.browser.test_launch_form_in_lab import form_page  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser


def test_part_of_a_column_name_offers_the_columns_it_completes_to(form_page, artifacts_dir):  # noqa: F811
    from playwright.sync_api import expect

    page, form = form_page
    row = form.locator(".flowlab-input-features")
    features = row.locator("input")
    message = row.locator(".flowlab-message")
    features.fill("petal_width, sep")
    # help while the name is typed, not a red cross
    expect(message).to_have_text("… type a column name: 'sep' matches sepal_width, sepal_height")
    offered = row.locator("datalist option")
    expect(offered).to_have_count(2)
    assert [offered.nth(i).get_attribute("value") for i in range(2)] == [
        "petal_width, sepal_width",
        "petal_width, sepal_height",
    ]
    expect(form.locator("button.flowlab-launch")).to_be_disabled()
    form.screenshot(path=str(artifacts_dir / "browser-form-features-typeahead.png"))
    features.fill("petal_width, sepal_height")
    expect(message).to_have_text("✓")
    expect(offered.first).to_have_attribute("value", "petal_width, sepal_height, petal_height")
