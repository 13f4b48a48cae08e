"""The book's prose is in its own words: no run of 8 words is shared with the source article.

The source article (``../shared/seed/`` beside the repository, present where the book is written,
absent on a reader's clone) is paraphrased, never quoted at length. The prose of the chapters'
Markdown cells and of the book's pages is compared with it after code, math, roles and markup are
stripped; a run of ``RUN`` consecutive words found in both fails the test and is printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_book_pages import _texts

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed"
RUN = 8


def prose_words(markdown: str) -> list[str]:
    """The words of the prose of a MyST page: code, math, roles, targets and options removed."""
    # code
    text = re.sub(
        r"^(`{3,}|~{3,})[^\n{]*\n.*?^\1\s*$", " ", markdown, flags=re.M | re.S
    )
    text = re.sub(
        r"^(`{3,}|~{3,})\{[^}]+\}.*$|^:[\w-]+:.*$|^\(.+\)=$", " ", text, flags=re.M
    )
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)  # math
    text = re.sub(r"\{[\w:-]+\}`[^`]*`|`[^`]*`", " ", text)  # roles, inline code
    text = re.sub(r"\]\([^)]*\)", " ", text)  # link targets
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def shared_runs(
    words: list[str], source: set[tuple[str, ...]], n: int = RUN
) -> list[str]:
    """The runs of ``n`` words of ``words`` that occur in ``source``, merged where they overlap."""
    hits = [i for i in range(len(words) - n + 1) if tuple(words[i : i + n]) in source]
    runs: list[list[int]] = []
    for i in hits:
        if runs and i <= runs[-1][1]:
            runs[-1][1] = i + n
        else:
            runs.append([i, i + n])
    return [" ".join(words[a:b]) for a, b in runs]


def test_prose_words_strips_code_math_and_roles():
    page = (
        "Kept values are scaled by $1/(1-r)$ with `F.dropout` {cite:p}`a2014`.\n"
        "```python\nx = dropout(x)\n```\n"
        "```{admonition} Title words\n:class: warning\nInside a box.\n```\n"
    )
    assert prose_words(page) == [
        "kept",
        "values",
        "are",
        "scaled",
        "by",
        "with",
        "inside",
        "a",
        "box",
    ]


def test_shared_runs_finds_and_merges_overlaps():
    source = {tuple("a b c".split()), tuple("b c d".split())}
    assert shared_runs("x a b c d y".split(), source, n=3) == ["a b c d"]
    assert shared_runs("x a b y".split(), source, n=3) == []


@pytest.mark.skipif(
    not SEED.is_dir(),
    reason="the source article (../shared/seed/) is not here: "
    "this check runs where the book is written",
)
def test_no_run_of_eight_words_is_shared_with_the_source_article():
    seed = [
        w for p in sorted(SEED.glob("*.txt")) for w in prose_words(p.read_text("utf-8"))
    ]
    source = {tuple(seed[i : i + RUN]) for i in range(len(seed) - RUN + 1)}
    found = {
        name: runs
        for name, text in _texts().items()
        if (runs := shared_runs(prose_words(text), source))
    }
    assert not found, "runs of 8+ words shared with the source article:\n" + "\n".join(
        f"  {name}: {run!r}" for name, runs in found.items() for run in runs
    )
