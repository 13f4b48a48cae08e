"""Consistency of the hand-written book pages: the claims ledger, citations and glossary terms.

The book build (``-W -n``) catches a missing glue key or citation only after every chapter has
run; these checks read the sources and fail in a second:

- the claims ledger (``book/claims.md``): every entry has one verdict from the fixed set, the
  summary counts and lists are computed correctly from the entries, the index table agrees with
  them, and every glued number names a key that its chapter notebook glues, with a format spec;
- every ``{cite:p}``/``{cite:t}`` key of the pages and chapters is in ``book/references.bib``;
- every ``{term}`` role of the pages and chapters names a term of the glossary.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
CLAIMS = BOOK / "claims.md"
GLOSSARY = BOOK / "glossary.md"
VERDICTS = {
    "correct": "success",
    "partly correct": "warning",
    "wrong": "danger",
    "unsupported": "dark",
}


def _cells(path: Path, kind: str) -> list[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == kind]


def _texts() -> dict[str, str]:
    """Every Markdown text of the book: pages and the chapters' Markdown cells."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(BOOK.glob("*.md"))}
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        texts[nb.name] = "\n\n".join(_cells(nb, "markdown"))
    return texts


# --------------------------------------------------------------------------------------------
# The claims ledger


def _entries() -> list[tuple[str, str]]:
    """(label number, verdict) of every ledger entry, in page order."""
    text = CLAIMS.read_text(encoding="utf-8")
    blocks = re.split(r"^\(claim-([0-9]+[a-z]?)\)=\n", text, flags=re.M)
    entries = []
    for number, body in zip(blocks[1::2], blocks[2::2]):
        field = re.search(r"^Verdict\n: (.*)$", body, flags=re.M)
        assert field, f"claim {number}: no 'Verdict' field"
        badges = re.findall(r"\{bdg-(\w+)\}`([^`]+)`", field.group(1))
        assert len(badges) == 1, (
            f"claim {number}: expected one verdict badge, got {badges}"
        )
        colour, verdict = badges[0]
        assert verdict in VERDICTS, (
            f"claim {number}: verdict {verdict!r} is not one of {list(VERDICTS)}"
        )
        assert colour == VERDICTS[verdict], (
            f"claim {number}: {verdict!r} shown as bdg-{colour}"
        )
        entries.append((number, verdict))
    return entries


def test_ledger_entries_are_numbered_in_order():
    numbers = [n for n, _ in _entries()]
    assert len(numbers) == len(set(numbers)), "a claim label is used twice"
    keys = [(int(re.match(r"\d+", n).group()), n) for n in numbers]
    assert keys == sorted(keys), (
        "ledger entries are not in the article's (numeric) order"
    )
    assert {int(re.match(r"\d+", n).group()) for n in numbers} == set(range(1, 37))


def test_ledger_summary_counts_match_the_entries():
    entries = _entries()
    text = CLAIMS.read_text(encoding="utf-8")
    counts = Counter(v for _, v in entries)
    for verdict, colour in VERDICTS.items():
        row = re.search(
            rf"^\| \{{bdg-{colour}\}}`{verdict}` \| (\d+) \| (.*) \|$", text, flags=re.M
        )
        assert row, f"summary table has no row for {verdict!r}"
        assert int(row.group(1)) == counts[verdict], (
            f"{verdict}: summary says {row.group(1)}"
        )
        listed = re.findall(r"\{ref\}`([0-9a-z]+) <claim-\1>`", row.group(2))
        expected = [n for n, v in entries if v == verdict]
        assert listed == expected, (
            f"{verdict}: summary lists {listed}, entries say {expected}"
        )
    total = re.search(r"^\| \*\*all claims\*\* \| \*\*(\d+)\*\* \|", text, flags=re.M)
    assert total and int(total.group(1)) == len(entries)


def test_ledger_index_table_matches_the_entries():
    text = CLAIMS.read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| \{ref\}`([0-9a-z]+) <claim-\1>` \| [^|]+ \| ([a-z ]+) \| .+ \|$",
        text,
        flags=re.M,
    )
    assert rows == _entries()


def _glue_keys(notebook: Path) -> tuple[set[str], list[re.Pattern]]:
    """Keys that a chapter glues: quoted literals of its code, and patterns of f-string keys."""
    code = "\n".join(_cells(notebook, "code"))
    literals = set(re.findall(r"[\"'](ch\d_[A-Za-z0-9_]+)[\"']", code))
    patterns = [
        re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[A-Za-z0-9_]+", re.escape(f)) + "$")
        for f in re.findall(r"glue\(\s*f[\"']([^\"']+)[\"']", code)
    ]
    return literals, patterns


def test_ledger_glue_keys_exist_in_their_chapters():
    text = CLAIMS.read_text(encoding="utf-8")
    roles = re.findall(r"\{glue:text\}`([^`]+)`", text)
    assert roles, "the ledger glues no numbers"
    for role in roles:
        m = re.fullmatch(r"\.\./notebooks/(\d\d_\w+)\.ipynb::(ch(\d)_\w+):(.+)", role)
        assert m, (
            f"glue role {role!r} is not '../notebooks/NN_name.ipynb::chN_key:format'"
        )
        notebook = NOTEBOOKS / f"{m.group(1)}.ipynb"
        assert notebook.is_file(), role
        assert int(m.group(1)[:2]) == int(m.group(3)), f"{role}: key of another chapter"
        literals, patterns = _glue_keys(notebook)
        key = m.group(2)
        assert key in literals or any(p.match(key) for p in patterns), (
            f"{key} is not glued by {notebook.name}"
        )


# --------------------------------------------------------------------------------------------
# Citations and glossary terms


def test_every_citation_key_is_in_the_bibliography():
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    known = set(re.findall(r"^@\w+\{([^,\s]+),", bib, flags=re.M))
    for name, text in _texts().items():
        for keys in re.findall(r"\{cite:[a-z]+\}`([^`]+)`", text):
            for key in keys.split(","):
                assert key.strip() in known, (
                    f"{name}: unknown citation key {key.strip()!r}"
                )


def _glossary_terms() -> set[str]:
    text = GLOSSARY.read_text(encoding="utf-8")
    body = re.search(r"^```\{glossary\}\n(.*?)^```$", text, flags=re.M | re.S)
    assert body, "book/glossary.md has no glossary directive"
    return {
        line.strip().lower()
        for line in body.group(1).splitlines()
        if line.strip() and not line.startswith((" ", "\t", ":"))
    }


@pytest.mark.parametrize("name", sorted(_texts()))
def test_every_term_role_is_in_the_glossary(name):
    terms = _glossary_terms()
    for role in re.findall(r"\{term\}`([^`]+)`", _texts()[name]):
        target = re.search(r"<([^>]+)>$", role)
        term = (target.group(1) if target else role).strip().lower()
        assert term in terms, f"{name}: {{term}} {role!r} is not in the glossary"


# --------------------------------------------------------------------------------------------
# The chapters' boxes about the source article agree with the ledger

WRONG_BOX = "What the source article gets wrong"
RIGHT_BOX = "What the source article gets right"
BOX_VERDICTS = {
    WRONG_BOX: {"partly correct", "wrong", "unsupported"},
    RIGHT_BOX: {"correct"},
}


def _boxes() -> list[tuple[str, str, str, str]]:
    """(chapter, title, class, body) of every admonition in the chapters' Markdown cells."""
    boxes = []
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in _cells(nb, "markdown"):
            for m in re.finditer(
                r"^(`{3,})\{admonition\} *([^\n]*)\n(.*?)^\1$", cell, flags=re.M | re.S
            ):
                css = re.search(r"^:class: *(\S+)", m.group(3), flags=re.M)
                boxes.append(
                    (
                        nb.name,
                        m.group(2).strip(),
                        css.group(1) if css else "",
                        m.group(3),
                    )
                )
    return boxes


def test_every_warning_box_is_about_the_article_and_links_the_ledger():
    verdicts = dict(_entries())
    claim_boxes = [b for b in _boxes() if b[1] in BOX_VERDICTS or b[2] == "warning"]
    assert len(claim_boxes) >= 15, (
        "expected the chapters' boxes about the source article"
    )
    for chapter, title, css, body in claim_boxes:
        where = f"{chapter}: box {title!r}"
        assert title in BOX_VERDICTS, (
            f"{where}: a warning box must be titled {WRONG_BOX!r}"
        )
        assert css == ("warning" if title == WRONG_BOX else "tip"), (
            f"{where}: class {css!r}"
        )
        linked = re.findall(r"\{ref\}`[^`<]*<claim-([0-9]+[a-z]?)>`", body)
        assert linked, f"{where}: links no ledger entry ({{ref}}`claim N <claim-N>`)"
        for number in linked:
            assert number in verdicts, f"{where}: no ledger entry claim-{number}"
            assert verdicts[number] in BOX_VERDICTS[title], (
                f"{where}: claim {number} is {verdicts[number]!r} in the ledger"
            )
