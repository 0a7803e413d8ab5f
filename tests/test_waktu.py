"""Tests for the Waktu parser (sop_models/waktu.py).

Expected values follow from the documented conventions (module docstring of
sop_models.waktu and Conventions in sop_models/model.py), not from parser output.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.errors import WaktuParseError
from sop_models.model import CALENDARS, UNITS, Bound, Conventions, Waktu
from sop_models.waktu import parse_waktu

SOURCES = Path(__file__).resolve().parents[1] / "sop_models" / "sources"

CTX_TGL_25 = ("Menyusun surat pengantar dan rekapitulasi permohonan bantuan pada tanggal 25 "
              "setiap bulannya")
CTX_3X24_KERJA = ("BPJS Kesehatan akan mencetak E-ID dan, input data sebagai Peserta Jaminan "
                  "Kesehatan Nasional (JKN) – KIS tidak boleh lebih dari 3x24 jam hari kerja")
CTX_1X24 = "NIK ganda atau belum terdaftar dapat diatasi dalam 1 x 24 jam : rujukan besok bisa dibuat"
CTX_TGL_15 = "Form 34 pengusulan Data JKN akan diserahkan ke BPJS Kesehatan setiap tanggal 15 di setiap bulan."


def minutes(n: float) -> Bound:
    return Bound(n, "minute", "working")


def days(n: float, cal: str = "working") -> Bound:
    return Bound(n, "day", cal)  # type: ignore[arg-type]


# (raw, context, max, min, per, deadline_day): every Waktu printed in the five seed SOPs.
SEED_CASES = [
    *[(f"{n} {u}", None, minutes(n), None, None, None)
      for n, u in [(5, "Menit"), (20, "Menit"), (15, "Menit"), (10, "Menit"), (15, "menit"),
                   (20, "menit"), (10, "menit"), (2, "Menit"), (3, "Menit")]],
    ("30 Hari", CTX_TGL_25, days(30), None, None, 25),
    *[(raw, None, days(n), None, None, None)
      for raw, n in [("2 Hari", 2), ("10 Hari", 10), ("2 hari", 2), ("1 hari", 1),
                     ("1 Hari", 1), ("7 Hari", 7)]],
    ("1 Bulan", None, Bound(1, "month", "calendar"), None, None, None),
    ("1 (satu) bulan", None, Bound(1, "month", "calendar"), None, None, None),
    ("1 jam", None, Bound(1, "hour", "working"), None, None, None),
    ("2 jam", None, Bound(2, "hour", "working"), None, None, None),
    ("1 menit per WBS", None, minutes(1), None, "WBS", None),
    ("5 menit per WBS", None, minutes(5), None, "WBS", None),
    ("10 menit per WBS", None, minutes(10), None, "WBS", None),
    ("1 menit per E-ID", None, minutes(1), None, "E-ID", None),
    ("Paling cepat 30 Menit", CTX_3X24_KERJA, days(3), minutes(30), None, None),
    ("24 Jam", CTX_1X24, Bound(24, "hour", "calendar"), None, None, None),
    ("4x24 jam", None, Bound(96, "hour", "calendar"), None, None, None),
    ("", None, None, None, None, None),
    (None, CTX_TGL_15, None, None, None, 15),
]


@pytest.mark.parametrize(("raw", "context", "mx", "mn", "per", "day"), SEED_CASES)
def test_seed_waktu(raw, context, mx, mn, per, day):
    got = parse_waktu(raw, context=context, file="seed.yaml", step="s01")
    assert got == Waktu(raw=raw, max=mx, min=mn, per=per, deadline_day=day)


def test_seed_cases_are_really_printed_in_the_sources():
    # Guards the table above against typos: each raw and context is verbatim source text.
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt")))
    for raw, context, *_ in SEED_CASES:
        assert raw is None or raw in text
        assert context is None or context in text


def test_values_are_floats_and_json_prints_ints():
    w = parse_waktu("1,5 jam")
    assert isinstance(w.max.value, float) and w.max.value == 1.5
    assert parse_waktu("5 Menit").to_json()["max"] == {"value": 5, "unit": "minute", "calendar": "working"}


@pytest.mark.parametrize(("raw", "mx", "mn"), [
    ("minimal 2 hari", None, days(2)),
    ("sekurang-kurangnya 2 hari", None, days(2)),
    ("paling lama 2 hari", days(2), None),
    ("maksimal 15 menit", minutes(15), None),
    ("tidak boleh lebih dari 3 hari", days(3), None),
    ("selambat-lambatnya 1 bulan", Bound(1, "month", "calendar"), None),
    ("2 - 3 hari", days(3), days(2)),
    ("5 s.d. 10 menit", minutes(10), minutes(5)),
    ("5 s/d 10 menit", minutes(10), minutes(5)),
    ("paling cepat 5 menit, paling lama 1 jam", Bound(1, "hour", "working"), minutes(5)),
    ("3 hari kalender", days(3, "calendar"), None),
    ("3 hari kerja", days(3), None),
    ("2 jam kerja", Bound(2, "hour", "working"), None),
    ("2 minggu", days(14, "calendar"), None),
    ("3X24 JAM hari kerja", days(3), None),
    ("2 x 24 jam", Bound(48, "hour", "calendar"), None),
    ("dua belas hari", days(12), None),
    ("duabelas  HARI", days(12), None),
    ("tiga puluh menit", minutes(30), None),
    ("(lima) menit", minutes(5), None),
    ("15 (lima belas) menit", minutes(15), None),
    ("  5\u00a0MENIT. ", minutes(5), None),
])
def test_forms(raw, mx, mn):
    got = parse_waktu(raw)
    assert (got.max, got.min) == (mx, mn)


@pytest.mark.parametrize(("raw", "day"), [
    ("setiap tanggal 15", 15),
    ("tanggal 15 setiap bulan", 15),
    ("pada tanggal 25 setiap bulannya", 25),
    ("setiap awal bulan", 1),
    ("di setiap awal bulan", 1),
])
def test_deadline_only(raw, day):
    got = parse_waktu(raw)
    assert got.deadline_day == day and got.max is None and got.min is None and not got.is_empty


def test_deadline_with_quantity_in_raw():
    got = parse_waktu("2 hari, setiap tanggal 10")
    assert (got.max, got.deadline_day) == (days(2), 10)


@pytest.mark.parametrize("raw", [None, "", "   ", "-"])
def test_no_standard(raw):
    got = parse_waktu(raw)
    assert got.is_empty and got.raw == raw


def test_raw_is_kept_exactly():
    assert parse_waktu("  Paling Cepat 30 MENIT ").raw == "  Paling Cepat 30 MENIT "


# --- context -------------------------------------------------------------------------------
def test_irrelevant_context_is_ignored():
    prose = "Resepsionis memberi Salam 5S (Senyum, Sapa, Salam, Sopan, Santun) kepada Pengguna Layanan"
    assert parse_waktu("5 Menit", context=prose) == parse_waktu("5 Menit")


def test_context_max_only_fills_a_missing_max():
    # raw already has a max: the context maximum does not replace it
    assert parse_waktu("2 hari", context=CTX_3X24_KERJA).max == days(2)
    # raw gives nothing: no standard is invented from prose
    assert parse_waktu(None, context=CTX_3X24_KERJA).is_empty


def test_context_x24_restates_only_equal_unqualified_hours():
    assert parse_waktu("48 jam", context=CTX_1X24).max == Bound(48, "hour", "working")
    assert parse_waktu("24 jam kerja", context=CTX_1X24).max == Bound(24, "hour", "working")
    assert parse_waktu("24 jam", context="selesai dalam 1x24 jam hari kerja").max == days(1)


def test_raw_deadline_wins_over_context():
    assert parse_waktu("setiap tanggal 10", context=CTX_TGL_15).deadline_day == 10


def test_ambiguous_context_deadlines_are_an_error():
    with pytest.raises(WaktuParseError) as exc:
        parse_waktu(None, context=CTX_TGL_15 + " Penetapan di setiap awal bulan.", step="s07")
    assert exc.value.field == "waktu_context" and "s07" in str(exc.value)


# --- conventions ---------------------------------------------------------------------------
def test_conventions_override_defaults():
    assert parse_waktu("2 Hari", conventions=Conventions(day="calendar")).max == days(2, "calendar")
    assert parse_waktu("5 Menit", conventions=Conventions(minute="calendar")).max == Bound(5, "minute", "calendar")
    assert parse_waktu("1 jam", conventions=Conventions(hour="calendar")).max == Bound(1, "hour", "calendar")
    assert parse_waktu("1 bulan", conventions=Conventions(month="working")).max == Bound(1, "month", "working")
    assert parse_waktu("4x24 jam", conventions=Conventions(x24_hours="working")).max == Bound(96, "hour", "working")
    # explicit qualifiers beat the conventions; "hari kerja" after x24 is always working days
    assert parse_waktu("2 hari kerja", conventions=Conventions(day="calendar")).max == days(2)
    assert parse_waktu("2 hari kalender", conventions=Conventions(day="working")).max == days(2, "calendar")
    assert parse_waktu("3x24 jam hari kerja", conventions=Conventions(x24_hours="calendar")).max == days(3)
    # a restatement uses the x24 convention too
    got = parse_waktu("24 Jam", context=CTX_1X24, conventions=Conventions(x24_hours="working"))
    assert got.max == Bound(24, "hour", "working")


# --- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "reason"), [
    ("3 purnama", "unknown unit 'purnama'"),
    ("30 detik", "detik"),
    ("2 (satu) bulan", "does not agree"),
    ("(sebelasan) hari", "unknown number word"),
    ("setiap tanggal 32", "32"),
    ("tanggal 0 setiap bulan", "not in 1..31"),
    ("5 menit lebih", "unexpected text 'lebih'"),
    ("5", "missing unit"),
    ("menit", "expected a number"),
    ("0 menit", "positive"),
    ("1.5 jam", "expected a unit"),
    ("10 - 5 menit", "backwards"),
    ("paling lama 2 - 3 hari", "range"),
    ("paling lama 5 menit, paling cepat 10 menit", "minimum exceeds"),
    ("5 menit, 10 menit", "unexpected"),
    ("2 bulan kerja", "unexpected text 'kerja'"),
])
def test_errors_name_file_step_text_and_reason(raw, reason):
    with pytest.raises(WaktuParseError) as exc:
        parse_waktu(raw, file="sop_models/models/x.yaml", step="s05")
    text = str(exc.value)
    assert "sop_models/models/x.yaml" in text and "step s05" in text and repr(raw) in text
    assert reason in text
    assert exc.value.field == "waktu" and exc.value.file == "sop_models/models/x.yaml"
    assert "accepted forms" in (exc.value.hint or "")


def test_error_message_format():
    with pytest.raises(WaktuParseError) as exc:
        parse_waktu("3 purnama", file="f.yaml", step="s05")
    assert exc.value.message == "step s05: cannot parse Waktu '3 purnama': unknown unit 'purnama'"


# --- properties ----------------------------------------------------------------------------
# unit word -> (unit, multiplier, calendar under default Conventions), from the conventions
UNIT_MEANING = {
    "menit": ("minute", 1, "working"), "jam": ("hour", 1, "working"),
    "hari": ("day", 1, "working"), "bulan": ("month", 1, "calendar"),
    "minggu": ("day", 7, "calendar"),
}


@st.composite
def random_case(draw, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))


numbers = st.one_of(
    st.integers(1, 999).map(lambda n: (str(n), float(n))),
    st.tuples(st.integers(0, 99), st.integers(1, 9)).map(lambda t: (f"{t[0]},{t[1]}", t[0] + t[1] / 10)),
)
gaps = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])
spaces = st.sampled_from([" ", "  ", "\t"])
per_things = st.one_of(st.none(), st.from_regex(r"[A-Z][A-Za-z]{0,5}(-[A-Z]{1,3})?", fullmatch=True))
prefixes = st.sampled_from([None, "paling cepat", "minimal", "paling lama", "maksimal"])


@settings(max_examples=300, deadline=None)
@given(num=numbers, unit=st.sampled_from(sorted(UNIT_MEANING)), x24=st.sampled_from([None, "", "hari kerja"]),
       prefix=prefixes, per=per_things, gap=gaps, sp=spaces, data=st.data())
def test_round_trip(num, unit, x24, prefix, per, gap, sp, data):
    text, value = num
    if x24 is None:
        quantity = text + gap + data.draw(random_case(unit))
        name, mult, cal = UNIT_MEANING[unit]
        expected = Bound(value * mult, name, cal)
    else:
        quantity = text + gap + data.draw(st.sampled_from(["x", "X", " x ", " X "])) + "24" + sp + data.draw(random_case("jam"))
        if x24:
            quantity += sp + data.draw(random_case("hari")) + sp + data.draw(random_case("kerja"))
            expected = Bound(value, "day", "working")
        else:
            expected = Bound(value * 24, "hour", "calendar")
    raw = quantity
    if prefix:
        raw = sp.join(data.draw(random_case(w)) for w in prefix.split()) + sp + raw
    if per:
        raw += sp + data.draw(random_case("per")) + sp + per
    got = parse_waktu(raw)
    side = got.min if prefix in ("paling cepat", "minimal") else got.max
    other = got.max if side is got.min else got.min
    assert other is None
    assert (side.unit, side.calendar) == (expected.unit, expected.calendar)
    assert side.value == pytest.approx(expected.value)
    assert got.per == per and got.raw == raw and got.deadline_day is None


VOCAB = ["5", "1,5", "0", "32", "x", "24", "X24", "jam", "Menit", "hari", "kerja", "kalender", "bulan",
         "minggu", "detik", "purnama", "per", "WBS", "E-ID", "paling", "cepat", "lama", "-", "s.d.",
         "(satu)", "satu", "dua belas", "setiap", "tanggal", "awal", "bulannya", ",", "dan", "(",
         ")", "tidak boleh lebih dari", "9" * 400, "1.5", "\u00d7", "pada", "di"]
texts = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(VOCAB), max_size=8).map(" ".join))


@settings(max_examples=400, deadline=None)
@given(raw=texts, context=st.one_of(st.none(), texts))
def test_any_text_parses_or_raises_waktu_error(raw, context):
    try:
        got = parse_waktu(raw, context=context)
    except WaktuParseError:
        return
    assert got.raw == raw
    for b in (got.max, got.min):
        assert b is None or (0 < b.value < math.inf and b.unit in UNITS and b.calendar in CALENDARS)
    assert got.deadline_day is None or 1 <= got.deadline_day <= 31
