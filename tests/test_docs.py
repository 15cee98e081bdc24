"""The docs are part of the feature: their examples are run here."""

from __future__ import annotations

import re
from pathlib import Path

from appraisal.scheme.loading import load_file, load_text
from appraisal.scheme.validation import scheme_schema

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README


def test_readme_first_scheme_is_the_minimal_positive_example():
    [scheme] = blocks(README, "yaml")
    assert load_text(scheme).data == load_file(ROOT / "tests/positive/schemes/minimal.yaml").data


def test_readme_error_example_is_what_validate_prints(tmp_path, run_cli, monkeypatch):
    [scheme] = blocks(README, "yaml")
    (tmp_path / "minimal.yaml").write_text(scheme.replace("weight: 100", "wieght: 100"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate", "minimal.yaml")
    [expected] = blocks(README, "text")
    assert result.exit_code == 1
    assert result.stderr == expected


def test_scheme_reference_documents_every_key():
    reference = (ROOT / "docs" / "scheme-reference.md").read_text(encoding="utf-8")
    keys: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            keys.update(k for k in node.get("properties", {}) if not k.startswith("$"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(scheme_schema())
    missing = sorted(key for key in keys if f"`{key}`" not in reference)
    assert missing == []


def test_scheme_reference_yaml_examples_load(tmp_path):
    reference = (ROOT / "docs" / "scheme-reference.md").read_text(encoding="utf-8")
    for block in blocks(reference, "yaml"):
        load_text(block)


def test_expression_doc_lists_every_built_in_function():
    from appraisal.plugins import default_functions

    doc = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    assert [name for name in default_functions().names() if f"`{name}(" not in doc] == []
