"""Deprecated: where `render_form` and `form_context` lived in appraisal 0.1.

Import from `appraisal` instead; this path warns and goes in appraisal 0.3 (`appraisal.old_paths`).
"""

from appraisal.old_paths import forward

__getattr__, __dir__ = forward(
    __name__,
    {"render_form": "appraisal:render_form", "form_context": "appraisal:form_context"},
)
