"""Deprecated: where `Pack`, `find_scheme` and `template_dirs` lived in appraisal 0.1.

Import from `appraisal` instead; this path warns and goes in appraisal 0.3 (`appraisal.old_paths`).
`template_dirs` has no public successor: `render_result` and `template_environment` search the
packs' template folders by default.
"""

from appraisal.old_paths import forward

__getattr__, __dir__ = forward(
    __name__,
    {
        "Pack": "appraisal:Pack",
        "find_scheme": "appraisal:find_scheme",
        "template_dirs": "appraisal.scheme.packs:template_dirs",
    },
)
