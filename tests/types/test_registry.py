"""One registry per extension point: duplicates refused, third-party types and renderers joining
through entry points of a really installed distribution (a dist-info on sys.path)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from flowlab import types
from flowlab.render import Renderer, register_renderer, render_html
from flowlab.render import registry as render_registry
from flowlab.types import registry as type_registry


def test_a_duplicate_type_name_is_refused_and_says_what_is_registered_twice():
    class Other(types.FlowType):
        name = "INTEGER"

    with pytest.raises(ValueError, match="flowlab type 'INTEGER' is registered twice: by "):
        types.register_type(Other())
    assert types.type_named("INTEGER") is types.INTEGER


def test_a_duplicate_renderer_name_is_refused_unless_replace_is_explicit():
    first = Renderer("dup-test", lambda s: s.name == "dup_test", lambda s: "<b>first</b>", 60)
    register_renderer(first)
    second = Renderer("dup-test", lambda s: s.name == "dup_test", lambda s: "<b>second</b>", 60)
    with pytest.raises(ValueError, match="renderer 'dup-test' is registered twice"):
        register_renderer(second)
    assert render_html(1, name="dup_test") == "<b>first</b>"
    register_renderer(second, replace=True)
    assert render_html(1, name="dup_test") == "<b>second</b>"


def test_renderers_are_found_by_the_type_they_name():
    register_renderer(
        Renderer("percent-type-test", lambda s: True, lambda s: f"{s.value:.0%}", 70, ("PCT",))
    )
    assert render_html(0.5, {"x-flowlab-type": "PCT"}) == "50%"
    assert render_html(0.5, {"x-flowlab-type": "DOUBLE"}) != "50%"


def _install(tmp_path, monkeypatch, module: str, source: str, entry_points: str) -> None:
    """A real distribution: a module and its dist-info (METADATA, entry_points.txt) on sys.path."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(entry_points)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_third_party_types_join_through_the_flowlab_types_entry_point_group(tmp_path, monkeypatch):
    _install(
        tmp_path,
        monkeypatch,
        "flowlab_money_plugin",
        """
        from flowlab.types import FlowType

        class Money(FlowType):
            name = "MONEY_TEST"

            def __init__(self, currency="EUR", **kw):
                super().__init__(**kw)
                self.currency = currency

            def validate(self, value, where="value"):
                if not isinstance(value, (int, float)) or value < 0:
                    raise self.fail(where, f"an amount in {self.currency} (MONEY)", value)
                return round(float(value), 2)

            def _json_schema(self):
                return {"type": "number", "x-currency": self.currency}

            @classmethod
            def _from_json(cls, data, **common):
                return cls(currency=data.get("x-currency", "EUR"), **common)

        MONEY = Money()
        """,
        "[flowlab.types]\nmoney = flowlab_money_plugin:MONEY\n",
    )
    try:
        assert "MONEY_TEST" in types.registered_types()
        usd = types.type_named("MONEY_TEST")(currency="USD", description="price")
        assert types.from_json(usd.to_json()) == usd
        assert types.from_json(usd.to_json()).validate(3.456) == 3.46
        with pytest.raises(TypeError, match="an amount in USD"):
            types.from_json(usd.to_json()).validate(-1)
        assert types.as_flow_type("MONEY_TEST").currency == "EUR"
    finally:
        type_registry._REGISTRY.pop("MONEY_TEST", None)
        sys.modules.pop("flowlab_money_plugin", None)


def test_an_entry_point_type_clashing_with_a_builtin_is_refused_naming_both(tmp_path, monkeypatch):
    _install(
        tmp_path,
        monkeypatch,
        "flowlab_clash_plugin",
        """
        from flowlab.types import FlowType

        class Text(FlowType):
            name = "TEXT"

        TEXT = Text()
        """,
        "[flowlab.types]\ntext = flowlab_clash_plugin:TEXT\n",
    )
    try:
        with pytest.raises(ValueError) as info:
            types.registered_types()
        message = str(info.value)
        assert "flowlab type 'TEXT' is registered twice" in message
        assert "flowlab.types.scalars.Text" in message
        assert "entry point 'text' (flowlab_clash_plugin:TEXT) of flowlab-clash-plugin" in message
        assert types.type_named("TEXT") is types.TEXT
    finally:
        sys.modules.pop("flowlab_clash_plugin", None)


def test_an_entry_point_renderer_clashing_with_a_builtin_is_refused(tmp_path, monkeypatch):
    _install(
        tmp_path,
        monkeypatch,
        "flowlab_clash_renderer",
        """
        from flowlab.render import Renderer
        NUMBER = Renderer("number", lambda s: True, lambda s: "mine")
        """,
        "[flowlab.renderers]\nnumber = flowlab_clash_renderer:NUMBER\n",
    )
    monkeypatch.setattr(render_registry, "_entry_points_loaded", False)
    try:
        with pytest.raises(ValueError, match="renderer 'number' is registered twice"):
            render_registry.renderers()
        assert render_html(0.5, {"x-flowlab-type": "DOUBLE"}) != "mine"
    finally:
        sys.modules.pop("flowlab_clash_renderer", None)
        monkeypatch.setattr(render_registry, "_entry_points_loaded", True)


def test_an_entry_point_giving_something_else_is_refused(tmp_path, monkeypatch):
    _install(
        tmp_path,
        monkeypatch,
        "flowlab_bad_plugin",
        "THING = 42\n",
        "[flowlab.types]\nthing = flowlab_bad_plugin:THING\n",
    )
    try:
        with pytest.raises(TypeError, match="gave int; it must give flowlab type objects"):
            types.registered_types()
    finally:
        sys.modules.pop("flowlab_bad_plugin", None)
