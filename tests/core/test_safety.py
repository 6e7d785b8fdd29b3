"""core.safety: markdown escaping, code spans, error text, Plotly links and CSV formula cells.

tests/security/ attacks the pages and exports end to end; these call each function directly.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.safety import (
    FORMULA_PREFIXES,
    ZWSP,
    code_span,
    csv_bytes,
    describe_error,
    escape_markdown,
    neutralise_cell,
    neutralise_formulas,
    neutralise_plotly_links,
    write_csv,
)


def _unescape(markdown: str) -> str:
    """What a markdown renderer shows of escaped text: backslash escapes resolved, ZWSP gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(ZWSP, "")


HOSTILE_TEXTS = [
    "[click](http://evil.example)",
    "![img](https://evil.example/x.png)",
    "<img src=x onerror=alert(1)>",
    "see https://evil.example now",
    "www.evil.example",
    "mail me@evil.example",
    "**bold** _it_ ~~del~~ `code`",
    ":material/home: :smile: :red[text]",
    "$x^2$ and a | table | row",
    "# heading",
    "back\\slash \\[not a link\\]",
    "&amp; &#60;",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_escaped_markdown_reads_as_the_same_text_with_every_special_escaped(text):
    out = escape_markdown(text)
    assert _unescape(out) == text
    # No special character is left unescaped (an even run of backslashes before it is none).
    assert not re.search(r"(?<!\\)(\\\\)*[\[\]<>`*_~|$:@!#&]", out.replace(ZWSP, ""))


def test_autolinks_are_broken_by_a_zero_width_space():
    assert escape_markdown("https://evil.example") == f"https\\:{ZWSP}//evil.example"
    assert escape_markdown("WWW.evil.example") == f"WWW{ZWSP}.evil.example"
    assert escape_markdown("me@evil.example") == f"me\\@{ZWSP}evil.example"
    assert escape_markdown("awww.x") == "awww.x"  # only a word "www" starts an autolink


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("= title", "\\= title"),
        ("12. item", "12\\. item"),
        ("3) item", "3\\) item"),
        ("   - indented", "   \\- indented"),
        ("a - b", "a - b"),  # only a leading marker starts a list
        ("1.5 stars", "1\\.5 stars"),  # over-escaped, but it reads the same
    ],
)
def test_leading_list_and_heading_markers_are_escaped(text, expected):
    assert escape_markdown(text) == expected


def test_escape_markdown_flattens_lines_shortens_and_accepts_any_value():
    assert escape_markdown("one\ntwo\r\nthree") == "one two  three"
    assert escape_markdown("x" * 10, max_chars=8) == "x" * 7 + "…"
    assert escape_markdown("x" * 8, max_chars=8) == "x" * 8
    assert escape_markdown("x" * 500, max_chars=None) == "x" * 500
    assert len(_unescape(escape_markdown("[" * 300))) == 200  # shortened before escaping
    assert escape_markdown(None) == "" and _unescape(escape_markdown(0.5)) == "0.5"


def test_code_span_fence_is_longer_than_any_backtick_run():
    assert code_span("abc") == "`abc`"
    assert code_span("a`b") == "``a`b``"
    assert code_span("a``b```c") == "````a``b```c````"
    assert code_span("`x") == "`` `x ``"  # padded so the fence is not read as content
    assert code_span("x`") == "`` x` ``"
    assert code_span("[a](http://x)") == "`[a](http://x)`"  # not parsed inside a span
    assert code_span(None) == "`  `" and code_span("  ") == "`    `"


def test_code_span_flattens_lines_and_shortens():
    assert code_span("a\nb\rc") == "`a b c`"
    assert code_span("y" * 100) == "`" + "y" * 79 + "…`"
    assert code_span("y" * 100, max_chars=None) == "`" + "y" * 100 + "`"


def test_describe_error_keeps_type_and_first_line_without_paths():
    native = RuntimeError(
        "[20:01] /workspace/src/objective/multiclass_obj.cu:121: label bad\n"
        "Stack trace:\n  [bt] (0) /opt/venv/lib/libxgboost.so(+0x2a6f1c)"
    )
    text = describe_error(native)
    assert text == "RuntimeError: [20:01] …:121: label bad"
    assert describe_error(OSError(r"C:\Users\me\data.csv is gone")) == "OSError: … is gone"
    assert describe_error(ValueError("not a path: a/b")) == "ValueError: not a path: a/b"
    assert describe_error(KeyError()) == "KeyError"
    assert describe_error(ValueError("   \n  ")) == "ValueError"
    long = describe_error(ValueError("z" * 500), max_chars=20)
    assert long == "ValueError: " + "z" * 19 + "…"


def _hostile_figure() -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=[1, 2],
            y=[1, 2],
            name='<a href="https://evil.example">legend</a>',
            text=np.array(["<A HREF=x>upper</a>", "<b>bold</b>"], dtype=object),
            hovertemplate="%{x}<br>< a href=y>spaced",
        )
    )
    fig.add_bar(x=["<a href=z>tick</a>", "plain"], y=[1, 2], name="<i>kept</i>")
    fig.update_layout(
        title='<a href="javascript:alert(1)">title</a> <b>b</b>',
        xaxis={"ticktext": ["</a>", "ok"], "tickvals": [1, 2]},
    )
    fig.add_annotation(x=1, y=1, text="<a href=w>note</a>")
    return fig


def test_plotly_links_are_neutralised_everywhere_and_other_tags_kept():
    fig = _hostile_figure()
    assert neutralise_plotly_links(fig) is fig  # in place
    scatter, bar = fig.data
    assert scatter.name == '&lt;a href="https://evil.example">legend&lt;/a>'
    assert list(scatter.text) == ["&lt;A HREF=x>upper&lt;/a>", "<b>bold</b>"]
    assert scatter.hovertemplate == "%{x}<br>&lt; a href=y>spaced"
    assert list(bar.x) == ["&lt;a href=z>tick&lt;/a>", "plain"] and bar.name == "<i>kept</i>"
    assert fig.layout.title.text == '&lt;a href="javascript:alert(1)">title&lt;/a> <b>b</b>'
    assert list(fig.layout.xaxis.ticktext) == ["&lt;/a>", "ok"]
    assert fig.layout.annotations[0].text == "&lt;a href=w>note&lt;/a>"
    assert not re.search(r"<\s*/?\s*a\b", fig.to_json(), re.IGNORECASE)


def test_a_figure_without_links_is_left_as_it_is():
    fig = go.Figure(go.Scatter(x=[1], y=[2], name="<b>a</b> < b", text=np.array(["<br>"])))
    fig.update_layout(title="<i>safe</i>")
    before = fig.to_plotly_json()
    neutralise_plotly_links(fig)
    assert fig.to_plotly_json() == before


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_every_formula_prefix_gets_a_quote(prefix):
    assert neutralise_cell(prefix + "SUM(A1)") == "'" + prefix + "SUM(A1)"


def test_neutralise_cell_leaves_safe_values_alone():
    assert neutralise_cell("plain =1") == "plain =1"
    assert neutralise_cell("") == ""
    assert neutralise_cell(-1.5) == -1.5 and neutralise_cell(None) is None
    assert neutralise_cell(["=x"]) == ["=x"]  # only strings are cells of text


def test_neutralise_formulas_by_column_kind():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "ok", None],
            "mixed": ["-x", 5, 2.5],
            "cat": pd.Categorical(["@a", "b", "@a"]),
            "flag": [True, False, True],
            "num": [-1, -2, 3],
            "when": pd.to_datetime(["2020-01-01", "2021-01-01", None]),
            "lists": [["=a"], [], ["b"]],
            "+col": ["x", "y", "z"],
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out["text"].iloc[2])
    assert out["mixed"].tolist() == ["'-x", 5, 2.5]
    assert out["cat"].tolist() == ["'@a", "b", "'@a"]
    assert out["flag"].tolist() == [True, False, True] and out["flag"].dtype == bool
    assert out["num"].tolist() == [-1, -2, 3] and out["num"].dtype == frame["num"].dtype
    pd.testing.assert_series_equal(out["when"], frame["when"])
    assert out["lists"].tolist() == [["=a"], [], ["b"]]
    assert list(out.columns) == ["text", "mixed", "cat", "flag", "num", "when", "lists", "'+col"]
    assert frame["text"].iloc[0] == "=1+1" and "+col" in frame  # the input is a copy


def test_csv_bytes_end_rows_in_crlf_and_quote_embedded_newlines():
    frame = pd.DataFrame({"name": ["=cmd", "two\nlines", "cr\ronly"], "x": [1, 2, 3]})
    out = csv_bytes(frame)
    assert out.startswith(b"name,x\r\n'=cmd,1\r\n")
    assert b'"two\nlines",2\r\n' in out and b'"cr\ronly",3\r\n' in out
    back = pd.read_csv(io.BytesIO(out))
    assert back["name"].tolist() == ["'=cmd", "two\nlines", "cr\ronly"]
    with_index = csv_bytes(frame.set_index("x"), index=True)
    assert with_index.startswith(b"x,name\r\n1,'=cmd\r\n")
    assert csv_bytes(pd.DataFrame({"t": ["é"]})) == "t\r\né\r\n".encode()


def test_write_csv_writes_the_same_bytes_as_csv_bytes(tmp_path):
    frame = pd.DataFrame({"@who": ["+1", "fine"], "n": [0.5, -0.5]})
    write_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == csv_bytes(frame)
