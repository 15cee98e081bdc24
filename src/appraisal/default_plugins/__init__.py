"""The built-ins, registered through the same hooks a third-party plugin uses."""

DEFAULT_PLUGINS: list[str] = [
    "appraisal.default_plugins.functions",
    "appraisal.default_plugins.calendar",
    "appraisal.default_plugins.engines",
    "appraisal.default_plugins.packs",
    "appraisal.default_plugins.sources",
]
