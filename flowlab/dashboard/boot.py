"""First paint before Bokeh boots: a page can put plain HTML in the server's HTML response.

Panel's page normally shows nothing until Bokeh's, Panel's and Tabulator's JavaScript has
loaded, connected its websocket and rendered (1.5–3 s). A page that calls ``first_paint``
gets a template that paints its HTML at once, loads that JavaScript only after the first
frame, keeps the live view invisible while it builds, and swaps it in when it shows what the
first paint showed (a ``.tabulator-row``) or a message (``.flowlab-message``).

Example::

    first_paint(pn.state.curdoc, "<table>...</table>")   # in a page function
"""

from __future__ import annotations

from typing import Any

#: what the live view shows once it can stand in for the first paint
TAKEOVER = ".tabulator-row, .flowlab-message"

_SOURCE = """{% extends "base.html" %}
{% block js_resources %}{% endblock %}
{% block inner_body %}
<style>
  #flowlab-first { padding: 0 10px; font-family: -apple-system, BlinkMacSystemFont,
    "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 14px; color: #222 }
  #flowlab-first table { border-collapse: collapse; margin-left: 38px }
  #flowlab-first th { text-align: left; font-weight: 600; color: #555; padding: 8px 4px;
    border-bottom: 1px solid #999 }
  #flowlab-first td { padding: 4px; border-bottom: 1px solid #eee; border-right: 1px solid #eee;
    white-space: nowrap }
  #flowlab-live.flowlab-booting { visibility: hidden; position: absolute; top: 0; left: 0;
    right: 0 }
</style>
<div id="flowlab-first">{{ flowlab_first }}</div>
<div id="flowlab-live" class="flowlab-booting">
{% block contents %}{{ super() }}{% endblock %}
</div>
<template id="flowlab-boot">
{{ bokeh_js if bokeh_js }}
{{ plot_script }}
</template>
<script>
(function () {
  function deep(root, selector) {
    var found = root.querySelector(selector);
    if (found) return found;
    var all = root.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      if (all[i].shadowRoot) {
        found = deep(all[i].shadowRoot, selector);
        if (found) return found;
      }
    }
    return null;
  }
  function load(nodes, i) {
    if (i >= nodes.length) return;
    var old = nodes[i], script = document.createElement("script");
    for (var k = 0; k < old.attributes.length; k++) {
      script.setAttribute(old.attributes[k].name, old.attributes[k].value);
    }
    if (old.getAttribute("src")) {
      script.async = false;
      script.onload = script.onerror = function () { load(nodes, i + 1); };
      document.body.appendChild(script);
    } else {
      script.textContent = old.textContent;
      document.body.appendChild(script);
      load(nodes, i + 1);
    }
  }
  var timer = setInterval(function () {
    if (!deep(document, {{ takeover }})) return;
    clearInterval(timer);
    var first = document.getElementById("flowlab-first");
    if (first) first.remove();
    document.getElementById("flowlab-live").classList.remove("flowlab-booting");
  }, 50);
  // the JavaScript loads after the first frame is painted, not before it
  requestAnimationFrame(function () {
    setTimeout(function () {
      var boot = document.getElementById("flowlab-boot");
      load(Array.prototype.slice.call(boot.content.querySelectorAll("script")), 0);
    }, 0);
  });
})();
</script>
{% endblock %}
"""
_template: Any = None


def template():
    """The page template (Panel's own, with the first paint and the deferred JavaScript)."""
    global _template
    if _template is None:
        from panel.io.resources import BASE_TEMPLATE

        _template = BASE_TEMPLATE.environment.from_string(_SOURCE)
    return _template


def first_paint(doc, content: str) -> None:
    """Send ``content`` (HTML) in ``doc``'s page itself, shown until the live view takes over.

    Example::

        first_paint(pn.state.curdoc, table_html(page))
    """
    import json

    from markupsafe import Markup

    if doc is None:
        return
    doc.template = template()
    doc.template_variables["flowlab_first"] = Markup(content)
    doc.template_variables["takeover"] = Markup(json.dumps(TAKEOVER))
