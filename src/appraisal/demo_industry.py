"""Deprecated: where the industry packs' demo data, `generate`, lived in appraisal 0.1.

It is now `appraisal.demo.industry.generate`; this path warns and goes in appraisal 0.3
(`appraisal.old_paths`).
"""

from appraisal.old_paths import forward

__getattr__, __dir__ = forward(__name__, {"generate": "appraisal.demo.industry:generate"})
