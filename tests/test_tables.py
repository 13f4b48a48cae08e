"""The book's one table style: readable headers, one header row, fixed decimals."""

import pandas as pd
import pytest

from companion.experiments.tables import book_table, header


def test_headers_are_words():
    assert header("test_acc") == "test accuracy"
    # a non-breaking hyphen keeps "log-loss" on one line
    assert header("gap") == "gap (test − train log\u2011loss)"
    assert header("n_units") == "n units"


def test_row_labels_become_the_first_column_under_one_header_row():
    frame = pd.DataFrame(
        {"test_acc": [0.91234, 0.9], "note": ["a", "b"]},
        index=pd.Index(["no dropout", "dropout"], name="arm"),
    )
    html = book_table(frame, {"test_acc": "{:.1%}"}).to_html()
    assert (
        html.count("<tr>") == 3
    )  # one header row, two rows of data: no index-name row
    assert "test accuracy" in html and "91.2%" in html and "test_acc" not in html
    assert 'class="book-table"' in html
    # an unnamed index is kept too, under an empty header
    unnamed = book_table(frame.rename_axis(None)).data
    assert list(unnamed.iloc[:, 0]) == ["no dropout", "dropout"]
    # a plain range index is not shown
    assert list(book_table(frame.reset_index(drop=True)).data.columns) == [
        "test accuracy",
        "note",
    ]


def test_minus_signs_yes_no_and_left_aligned_words():
    frame = pd.DataFrame(
        {"arm": ["a", "b"], "diff": [-0.0451, 0.2], "clear": [True, False]}
    )
    html = book_table(frame, {"diff": "{:+.4f}"}).to_html()
    assert "\u22120.0451" in html and "+0.2000" in html  # a minus sign, not a hyphen
    assert ">yes<" in html and ">no<" in html
    assert "text-align: left" in html


def test_floats_get_three_decimals_by_default_and_bad_input_is_named():
    html = book_table(pd.DataFrame({"x": [1.0 / 3]})).to_html()
    assert "0.333" in html and "0.3333" not in html
    with pytest.raises(
        ValueError, match=r"formats names columns that frame does not have"
    ):
        book_table(pd.DataFrame({"x": [1.0]}), {"y": "{:.1f}"})
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame, got list"):
        book_table([1, 2])
