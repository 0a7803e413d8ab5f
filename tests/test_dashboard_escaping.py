"""Issue 10.2, the escaping helpers on their own (the browser proof is test_hostile_dashboard_e2e):
``ui.plain`` for every place Streamlit renders Markdown, ``charts.inert_text`` for Plotly's HTML
subset, and every figure leaving ``charts`` with its data text inert."""

from __future__ import annotations

import re
import sys

import pandas as pd
from conftest_ingest import ROOT

from dashboard import charts, ui

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

MARKUP = list(corpus.markup().values())
# what Markdown (GFM) could still read as markup after plain(): an unescaped special character
_LIVE = re.compile(r"(?<!\\)[*_\[\]()!<>`#|~]")


def test_plain_leaves_no_markdown_and_no_url_to_autolink() -> None:
    for value in MARKUP:
        shown = ui.plain(value)
        assert _LIVE.search(shown) is None, shown
        assert "://" not in shown and "www." not in shown.lower()  # GFM autolinks these
        assert shown.replace(ui.WORD_JOINER, "").replace("\\", "") == " ".join(value.replace("\\", "").split())
    assert ui.plain("a@b.id") == "a@" + ui.WORD_JOINER + "b\\.id"  # an e-mail address autolinks too


def test_plain_lines_keeps_each_line_of_a_message() -> None:
    text = "laporan_![f](x.png).csv: damaged\nHint: save it again"
    assert ui.plain_lines(text) == ui.plain("laporan_![f](x.png).csv: damaged") + "  \n" + ui.plain("Hint: save it again")


def test_inert_text_turns_tags_into_entities_in_strings_lists_and_arrays() -> None:
    tag = '<a href="http://127.0.0.1:9/x">Cek</a> & <b>'
    want = '&lt;a href="http://127.0.0.1:9/x"&gt;Cek&lt;/a&gt; &amp; &lt;b&gt;'
    assert charts.inert_text(tag) == want
    assert charts.inert_text([tag, 3, None]) == [want, 3, None]
    assert charts.inert_text(pd.Series([tag], dtype=object).to_numpy()) == [want]
    assert charts.inert_text(2.5) == 2.5


def test_every_figure_leaves_with_its_data_text_inert() -> None:
    import plotly.graph_objects as go

    label = corpus.markup()["activity_link"]
    fig = go.Figure(go.Bar(x=[label], y=[1], text=[label], name=label, hovertext=[label]))
    fig.update_xaxes(categoryorder="array", categoryarray=[label])
    out = charts._layout(fig, "id")
    trace = out.data[0]
    for value in (trace.x[0], trace.text[0], trace.name, trace.hovertext[0], out.layout.xaxis.categoryarray[0]):
        assert "<" not in value and "&lt;a href=" in value
