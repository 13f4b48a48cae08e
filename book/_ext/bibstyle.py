"""A pybtex bibliography style for the book: the "plain" style, sorted by author names read as
printed.

The book cites author-year ("Srivastava et al., 2014"), so the reference list is sorted
alphabetically by author. pybtex's own sorting key keeps BibTeX braces and accent macros, which
sends corporate authors such as ``{OpenAI}`` to the end of the list; this style strips them first.
Loaded by _config.yml (``sphinx: local_extensions``) and selected with ``bibtex_default_style``.
"""

from __future__ import annotations

import re

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitle

_LATEX_MARKUP = re.compile(r"\\[a-zA-Z]+\s*|\\.|[{}]")


class AuthorYearTitleAsPrinted(AuthorYearTitle):
    """Sort by authors, year and title, ignoring braces and accent macros."""

    def person_key(self, person):
        return _LATEX_MARKUP.sub("", super().person_key(person))


class BookStyle(PlainStyle):
    """pybtex's plain style with the sorting above."""

    default_sorting_style = "author_year_title_as_printed"


register_plugin(
    "pybtex.style.sorting", "author_year_title_as_printed", AuthorYearTitleAsPrinted
)
register_plugin("pybtex.style.formatting", "dropoutbook", BookStyle)


def setup(app):
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
