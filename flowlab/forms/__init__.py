"""Launch forms without a UI toolkit: one model for the notebook, dashboard, CLI and REST.

Importing this package imports neither ipywidgets nor panel.

Example::

    from flowlab.forms import FormModel
    form = FormModel(iris, labeled_data="iris_labeled")
    form.set("max_depth", "3")
    form.errors, form.valid, form.inputs()
"""

from flowlab.forms.field import FormField, parameter_docs, text_of
from flowlab.forms.model import FormModel, inputs_of

__all__ = ["FormField", "FormModel", "inputs_of", "parameter_docs", "text_of"]
