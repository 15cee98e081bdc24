"""The outputs: pages, reports, forms, workbooks and PDFs, rendered from a result.

In appraisal 0.1 `appraisal.rendering` was a module; its `render_result` and `environment` still
resolve here for one release, with a warning naming the public import (see `appraisal.old_paths`).
They resolve on use, so importing a submodule of this package imports nothing more.
"""

from appraisal.old_paths import forward

__getattr__, __dir__ = forward(
    __name__, {"render_result": "appraisal:render_result", "environment": "appraisal:template_environment"}
)
