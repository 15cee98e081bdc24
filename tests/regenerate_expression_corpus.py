"""Move the negative expression corpus onto a changed schemes/agent.yaml.

Each file in tests/negative/expressions/ is schemes/agent.yaml (without its first line) with
one line changed to hold a bad expression, under two header lines; the corpus test checks
exactly that. After editing agent.yaml, run from the repository root:

    git show HEAD:schemes/agent.yaml > /tmp/old_agent.yaml   # the version the corpus copies
    .venv/bin/python tests/regenerate_expression_corpus.py /tmp/old_agent.yaml

Each file's one changed line is found by diffing it against the old agent.yaml, and the same
change is made to the same occurrence of that line in the new one. A file whose change is not
one line (or whose line is gone from the new scheme) is reported and left as it was.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "negative" / "expressions"


def moved(old: list[str], new: list[str], text: str) -> str | None:
    """The corpus file `text` made over `new` instead of `old`, or None when that cannot be done."""
    lines = text.splitlines(keepends=True)
    head, body = lines[:2], lines[2:]
    changes = [op for op in difflib.SequenceMatcher(a=old, b=body, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(changes) != 1:
        return None
    tag, i, i_end, j, j_end = changes[0]
    if tag != "replace" or i_end - i != 1 or j_end - j != 1:
        return None
    nth = old[:i].count(old[i])
    places = [n for n, line in enumerate(new) if line == old[i]]
    if nth >= len(places):
        return None
    out = new[:]
    out[places[nth]] = body[j]
    return "".join(head + out)


def main(old_agent: str) -> int:
    old = Path(old_agent).read_text(encoding="utf-8").splitlines(keepends=True)[1:]
    new = (ROOT / "schemes" / "agent.yaml").read_text(encoding="utf-8").splitlines(keepends=True)[1:]
    failed = 0
    for path in sorted(CORPUS.glob("*.yaml")):
        text = moved(old, new, path.read_text(encoding="utf-8"))
        if text is None:
            print(f"{path.name}: not one changed line against the old agent.yaml; left as it was")
            failed += 1
        else:
            path.write_text(text, encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
