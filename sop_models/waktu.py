"""Parse a printed Waktu (Mutu Baku time standard) into a :class:`Waktu`.

Conventions (the project's reading of Indonesian SOP time standards):

* Units: ``menit`` -> minute, ``jam`` -> hour, ``hari`` -> day, ``bulan`` -> month,
  ``minggu`` -> 7 calendar days. ``detik`` (seconds) and any other word are errors.
  Case and spacing are free; a number is digits (decimal comma: ``1,5 jam``), digits with
  the number word in parentheses (``1 (satu) bulan``, which must agree), or a number word
  alone (satu .. sebelas, dua belas, lima belas, dua puluh, tiga puluh).
* Calendar basis comes from :class:`Conventions`: menit/jam/hari/bulan use
  ``conventions.minute/hour/day/month`` (defaults: working, working, working, calendar).
  ``N x 24 jam`` is ``N*24`` hours on ``conventions.x24_hours`` (default calendar) unless
  ``hari kerja`` follows, which makes it N working days. An explicit ``kerja``/``kalender``
  after menit, jam or hari overrides the convention.
* A plain quantity is the maximum. ``paling cepat``/``minimal``/``sekurang-kurangnya`` make
  it a minimum; ``paling lama``/``maksimal``/``tidak boleh lebih dari``/``selambat-lambatnya``
  a maximum; both may be given, separated by a comma or ``dan``. A range ``X - Y`` /
  ``X s.d. Y`` / ``X sampai Y`` gives both. ``per <thing>`` after the quantity sets ``per``
  to the thing as written (``1 menit per E-ID`` -> ``"E-ID"``).
* Day-of-month deadlines (``pada tanggal 25 setiap bulannya``, ``setiap tanggal 15``,
  ``tanggal 15 setiap bulan``, ``(di) setiap awal bulan`` = 1) set ``deadline_day`` (1..31).
* ``context`` is other text of the same SOP row (e.g. the Kegiatan). It is scanned only for:
  a maximum phrase, used when ``raw`` gives a minimum and no maximum; a deadline phrase,
  used when ``raw`` has none; an ``N x 24 jam`` restatement of a plain hour value in ``raw``
  (``24 Jam`` + "dalam 1 x 24 jam" -> 24 calendar hours). Everything else in the context is
  ignored, but two different deadline days or maxima in it are an error (ambiguous).
* ``raw`` None, empty or ``-`` means no standard (context deadlines still apply). Every
  other character of ``raw`` must be accounted for, else :class:`WaktuParseError`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeVar

from pantau.errors import WaktuParseError
from sop_models.model import Bound, Conventions, Waktu

_F = re.IGNORECASE | re.ASCII
T = TypeVar("T")
DEFAULT_CONVENTIONS = Conventions()  # frozen, so safe to share as the default

NUMBER_WORDS: dict[str, int] = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "dua belas": 12,
    "lima belas": 15, "dua puluh": 20, "tiga puluh": 30,
}
_WORD_KEYS = {w.replace(" ", ""): n for w, n in NUMBER_WORDS.items()}
_WORDS = "|".join(w.replace(" ", r"\s*") for w in sorted(NUMBER_WORDS, key=len, reverse=True))
_UNITS = {"menit": "minute", "jam": "hour", "hari": "day", "bulan": "month"}

_MIN = r"paling\s+cepat|minimal|minimum|sekurang[\s-]*kurangnya|sedikitnya"
_MAX = (r"paling\s+lama|paling\s+lambat|maksimal|maksimum|tidak\s+boleh\s+lebih\s+dari"
        r"|tidak\s+lebih\s+dari|selambat[\s-]*lambatnya")
_PREFIX = re.compile(rf"\s*\b(?:(?P<min>{_MIN})|(?P<max>{_MAX}))\b\s*", _F)
_NUM = r"[0-9]+(?:,[0-9]+)?"
_AMOUNT = re.compile(
    rf"\s*(?:(?P<num>{_NUM})(?:\s*\(\s*(?P<paren>[a-z ]+?)\s*\))?"
    rf"|\(\s*(?P<only>[a-z ]+?)\s*\)|(?P<word>{_WORDS})\b)", _F)
_X24 = re.compile(r"\s*[x\u00d7]\s*24\s*jam\b(?P<kerja>\s+hari\s+kerja\b)?", _F)
_X24_ANY = re.compile(rf"(?<![\w,])(?P<n>{_NUM}|{_WORDS})\s*[x\u00d7]\s*24\s*jam\b"
                      r"(?P<kerja>\s+hari\s+kerja\b)?", _F)
_RANGE = re.compile(r"\s*(?:[-\u2013\u2014]|s\.?\s*d\.?|s/d|sampai(?:\s+dengan)?|hingga)\s*", _F)
_UNIT = re.compile(r"\s*(?P<unit>[a-z]+)\b", _F)
_QUAL = re.compile(r"\s+(?P<q>kerja|kalender)\b", _F)
_TOKEN = r"[a-z][\w/-]*(?:\.[\w/-]+)*"
_PER = re.compile(rf"\s+per\s+(?P<per>{_TOKEN}(?:\s+{_TOKEN}){{0,2}})", _F)
_SEP = re.compile(r"\s*(?:[,;]\s*)?(?:\bdan\b)?", _F)
_DEADLINE = re.compile(
    r"\b(?:(?:paling\s+lambat|selambat[\s-]*lambatnya)\s+)?(?:(?:pada|di)\s+)?"
    r"(?:(?:setiap|tiap)\s+(?:(?P<awal>awal\s+bulan(?:nya)?)|tanggal\s+(?P<d1>[0-9]{1,3})\b"
    r"(?:\s+(?:di\s+)?(?:setiap|tiap)\s+bulan(?:nya)?)?)"
    r"|tanggal\s+(?P<d2>[0-9]{1,3})\s+(?:di\s+)?(?:setiap|tiap)\s+bulan(?:nya)?)\b", _F)

HINT = ("accepted forms: '15 menit', '2 jam', '3 hari kerja', '1 (satu) bulan', '2 minggu', "
        "'3x24 jam [hari kerja]', '1,5 jam', '2 - 3 hari', 'paling cepat 30 menit', "
        "'paling lama 2 hari', '1 menit per WBS', 'setiap tanggal 15', or '-' for none")


class _Bad(Exception):
    """Internal: why the text cannot be read (wrapped into WaktuParseError at the edge)."""


@dataclass(frozen=True)
class _Clause:
    kind: str | None  # "min", "max" or None (plain quantity)
    lo: Bound | None  # lower end of a range
    hi: Bound
    explicit: bool  # calendar stated in the text, so context must not restate it
    per: str | None
    end: int


def _amount(text: str, pos: int) -> tuple[float, int]:
    m = _AMOUNT.match(text, pos)
    if not m:
        rest = text[pos:].strip()
        raise _Bad(f"expected a number at {rest!r}" if rest else "expected a number")
    value = float(m["num"].replace(",", ".")) if m["num"] else None
    word = m["paren"] or m["only"] or m["word"]
    if word:
        key = re.sub(r"\s+", "", word.lower())
        if key not in _WORD_KEYS:
            raise _Bad(f"unknown number word {word!r}")
        if value is not None and value != _WORD_KEYS[key]:
            raise _Bad(f"number {m['num']} does not agree with '({word})'")
        value = float(_WORD_KEYS[key])
    assert value is not None  # the pattern always captures a digit or a word
    if not 0 < value < math.inf:
        raise _Bad("the time must be a positive number")
    return value, m.end()


def _clause(text: str, pos: int, conv: Conventions) -> _Clause:
    """One quantity, with optional min/max prefix, range, unit qualifier and ``per``."""
    kind = None
    if m := _PREFIX.match(text, pos):
        kind, pos = ("min" if m["min"] else "max"), m.end()
    first, pos = _amount(text, pos)
    lo = None
    if m := _X24.match(text, pos):
        hi = (Bound(first, "day", "working") if m["kerja"]
              else Bound(first * 24, "hour", conv.x24_hours))
        explicit, pos = True, m.end()
    else:
        second = None
        if m := _RANGE.match(text, pos):
            if kind:
                raise _Bad("a range cannot also have 'paling cepat'/'paling lama'")
            second, pos = _amount(text, m.end())
            if second < first:
                raise _Bad("the range runs backwards")
        m = _UNIT.match(text, pos)
        if not m:
            rest = text[pos:].strip()
            raise _Bad(f"expected a unit (menit, jam, hari, minggu, bulan) at {rest!r}"
                       if rest else "missing unit (menit, jam, hari, minggu, bulan)")
        word, pos = m["unit"].lower(), m.end()
        if word == "detik":
            raise _Bad("seconds ('detik') are not a supported unit; use menit")
        if word == "minggu":
            unit, cal, scale = "day", "calendar", 7
        elif word in _UNITS:
            unit, cal, scale = _UNITS[word], getattr(conv, _UNITS[word]), 1
        else:
            raise _Bad(f"unknown unit {m['unit']!r}")
        explicit = False
        if word in ("menit", "jam", "hari") and (q := _QUAL.match(text, pos)):
            cal, explicit, pos = ("working" if q["q"].lower() == "kerja" else "calendar"), True, q.end()
        hi = Bound((first if second is None else second) * scale, unit, cal)
        lo = None if second is None else Bound(first * scale, unit, cal)
    per = None
    if m := _PER.match(text, pos):
        per, pos = m["per"], m.end()
    return _Clause(kind, lo, hi, explicit, per, pos)


def _deadline(m: re.Match[str]) -> int:
    day = 1 if m["awal"] else int(m["d1"] or m["d2"])
    if not 1 <= day <= 31:
        raise _Bad(f"day of month {day} is not in 1..31")
    return day


def _parse_raw(raw: str, conv: Conventions) -> tuple[dict[str, Bound], set[str], str | None, int | None]:
    """Bounds by side ("min"/"max"), sides stated explicitly, per, deadline day."""
    text = re.sub(r"\s", " ", raw)  # any Unicode space (NBSP from PDFs) as a plain one
    day = None
    if m := _DEADLINE.search(text):
        day, text = _deadline(m), text[: m.start()] + " " + text[m.end():]
    text = text.lstrip(" ,;").rstrip(" ,;.")  # not a leading ".": ".5 jam" is no number here
    bounds: dict[str, Bound] = {}
    explicit: set[str] = set()
    pers: set[str] = set()
    pos = 0
    while text:
        c = _clause(text, pos, conv)
        sides = {"min": c.lo, "max": c.hi} if c.kind is None else {c.kind: c.hi}
        if bounds and (c.kind is None or c.kind in bounds or len(bounds) > 1):
            raise _Bad(f"unexpected second quantity {text[pos:].strip(' ,;')!r}")
        bounds.update({k: b for k, b in sides.items() if b is not None})
        explicit.update(k for k, b in sides.items() if b is not None and c.explicit)
        pers.update([c.per] if c.per else [])
        pos = _SEP.match(text, c.end).end()  # always matches (possibly empty)
        if pos < len(text) and _PREFIX.match(text, pos):
            continue  # a second, prefixed quantity: "paling cepat 5 menit, paling lama 1 jam"
        if text[c.end:].strip():
            raise _Bad(f"unexpected text {text[c.end:].strip(' ,;')!r}")
        break
    if len(pers) > 1:
        raise _Bad(f"conflicting 'per' units {sorted(pers)}")
    lo, hi = bounds.get("min"), bounds.get("max")
    if lo and hi and (lo.unit, lo.calendar) == (hi.unit, hi.calendar) and lo.value > hi.value:
        raise _Bad("the minimum exceeds the maximum")
    return bounds, explicit, next(iter(pers), None), day


def _one(found: set[T], what: str) -> T | None:
    if len(found) > 1:
        raise _Bad(f"ambiguous: different {what} {sorted(found, key=str)}")
    return next(iter(found), None)


def _scan_context(context: str, conv: Conventions) -> tuple[Bound | None, int | None, dict[float, Bound]]:
    """The maximum, deadline day and ``N x 24 jam`` restatements (hours -> bound) in context."""
    text = re.sub(r"\s", " ", context)
    day = _one({_deadline(m) for m in _DEADLINE.finditer(text)}, "deadline days")
    maxima = set()
    for m in _PREFIX.finditer(text):
        if m["max"]:
            try:
                c = _clause(text, m.start(), conv)
            except _Bad:
                continue  # a maximum word followed by no quantity: prose, not a standard
            maxima.add(c.hi)
    x24 = {}
    for m in _X24_ANY.finditer(text):
        try:
            n, _ = _amount(m["n"], 0)
        except _Bad:
            continue
        x24[n * 24] = Bound(n, "day", "working") if m["kerja"] else Bound(n * 24, "hour", conv.x24_hours)
    return _one(maxima, "maxima"), day, x24


def parse_waktu(
    raw: str | None,
    *,
    context: str | None = None,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    file: str | None = None,
    step: str | None = None,
) -> Waktu:
    """Parse ``raw`` (and the qualifying ``context`` text) into a structured standard.

    Raises :class:`WaktuParseError` when ``raw`` holds anything that is not understood, or
    when ``context`` is ambiguous; see the module docstring for the accepted forms.
    """
    where = f"step {step}: " if step else ""
    bounds: dict[str, Bound] = {}
    explicit: set[str] = set()
    per = day = None
    if raw is not None and raw.strip() not in ("", "-"):
        try:
            bounds, explicit, per, day = _parse_raw(raw, conventions)
        except _Bad as exc:
            raise WaktuParseError(f"{where}cannot parse Waktu {raw!r}: {exc}", file=file,
                                  field="waktu", hint=HINT) from None
    if context:
        try:
            ctx_max, ctx_day, x24 = _scan_context(str(context), conventions)
        except _Bad as exc:
            raise WaktuParseError(f"{where}cannot use Waktu context {context!r}: {exc}",
                                  file=file, field="waktu_context", hint=HINT) from None
        for side, b in list(bounds.items()):  # "24 Jam" restated as "1 x 24 jam"
            if b.unit == "hour" and side not in explicit and b.value in x24:
                bounds[side] = x24[b.value]
        if "min" in bounds and "max" not in bounds and ctx_max:
            bounds["max"] = ctx_max
        day = ctx_day if day is None else day
    return Waktu(raw=raw, max=bounds.get("max"), min=bounds.get("min"), per=per, deadline_day=day)
