"""appraisal: performance-appraisal schemes in YAML, checked, computed in DuckDB, explained."""

__version__ = "0.1.0"
