"""Evidence packs: one self-contained file per finding, per case, or per SOP × agency × period,
that an auditor attaches to the Laporan Hasil Pemeriksaan and anyone can check offline.

A pack holds the finding and the rule applied in words (Bahasa Indonesia first), the case's
events as stored (event id, import file, source row, local time), the Mutu Baku per step, the
alignment, the SOP identity (number, revision, effective date, model sha256), the calendar
version, the run id and its as-of, and every acceptance that covers a finding, with its
history. It reads the store through the same :mod:`dashboard.queries` functions as the Kasus
and Deviasi pages, so a figure in a pack is the page's. The HTML is the pack; the PDF is that
HTML printed (:func:`dashboard.documents.render.to_pdf`); the manifest
(:mod:`dashboard.documents.manifest`) holds the sha256 of the content.

Two packs made from the same run differ only in their creation time (and so in nothing that
is hashed): nothing in the content depends on the clock, the order of rows is fixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard import case_view, queries
from dashboard.catalog import Catalog
from dashboard.documents import manifest as seal
from dashboard.documents import render
from dashboard.documents import sections as s
from dashboard.documents.texts import both, en, id_
from dashboard.filters import Filters
from pantau import __version__
from pantau.errors import PantauError

FORMATS = ("html", "pdf", "both")


class EvidenceError(PantauError):
    """A pack that cannot be made: no such case or finding, nothing in the period."""


@dataclass(frozen=True)
class Pack:
    """A made pack: its HTML (sealed with its manifest), the manifest and a file name stem."""

    kind: str          # finding | case | period
    name: str          # file name stem, e.g. pantau-bukti-BTM-INT-2024-000037-run3
    html: str
    manifest: dict[str, Any]

    def pdf(self) -> bytes:
        """The pack printed on A4 (deterministic for the same HTML)."""
        return render.to_pdf(self.html)


def _q(con: duckdb.DuckDBPyConnection, name: str, f: Filters | None = None, **params: Any) -> pd.DataFrame:
    return queries.QUERIES[name](con, f or Filters(), **params)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]


def case_name(case_id: str, kind: str | None, step_id: str | None, run_id: int) -> str:
    """The file name stem of a case's (or a finding's) pack."""
    finding = (f"-{kind}" + (f"-{step_id}" if step_id else "")) if kind else ""
    return _safe(f"pantau-bukti-{case_id}{finding}-run{run_id}")


def period_name(sop_id: str, agency: str, start: date, end: date, run_id: int) -> str:
    """The file name stem of an SOP × agency × period pack."""
    return _safe(f"pantau-bukti-{sop_id}-{agency}-{start.isoformat()}-{end.isoformat()}-run{run_id}")


def _finish(kind: str, name: str, title: str, body: str, facts: dict[str, Any], created: datetime | None) -> Pack:
    created = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    header = (f"<h1>{both('pack_' + kind)}</h1><p><strong>{render.escape(title)}</strong></p>")
    document = render.page(f"{id_('pack_' + kind)} · {title}", header + body + seal.SLOT, lang="id",
                           created=created, css=s.EVIDENCE_CSS)
    facts = dict(facts, kind=kind, generator=f"Pantau {__version__}")
    sealed, manifest = seal.seal(document, facts, (f"{id_('manifest')} / {en('manifest')}",
                                                   f"{id_('manifest_how')} / {en('manifest_how')}"))
    return Pack(kind, name, sealed, manifest)


# --- one case (or one of its findings) ---------------------------------------------------------

def case_pack(con: duckdb.DuckDBPyConnection, sop_id: str, case_id: str, *, agency: str | None = None,
              kind: str | None = None, step_id: str | None = None, created: datetime | None = None) -> Pack:
    """The pack of one case; with ``kind`` (and ``step_id``) the pack of that finding: the
    same evidence, its findings narrowed to those. ``con`` is a (scoped) read-only connection:
    a case outside the scope is "not found"."""
    # a case is (SOP, agency, case id): without an agency, the one agency holding that id
    keys = _q(con, "case_keys", case_id=case_id)
    keys = keys[(keys["sop_id"] == sop_id) & ((agency is None) | (keys["agency"] == agency))]
    if len(keys) != 1:
        raise EvidenceError(f"no analysed case '{case_id}' of {sop_id}" if keys.empty else
                            f"case id '{case_id}' names {len(keys)} cases of {sop_id}", field="case",
                            hint="say which agency (--agency)" if len(keys) else
                            "check the id on the Kasus page; a case outside your scope is not found")
    one = {"sop_id": sop_id, "agency": keys["agency"].iloc[0], "case_id": case_id}
    summary = _q(con, "case_summary", **one)
    c = summary.iloc[0]
    agency = c["agency"]
    cat = queries.load_catalog(con)
    model = cat.version(c["model_sha256"], sop_id)
    if model is None:
        raise EvidenceError(f"the model version {c['model_sha256']} of {sop_id} is not in the store", field="sop")
    tz = model.timezone
    identity = _q(con, "case_identity", sop_id=sop_id, case_id=case_id, agency=agency)
    deviations = _q(con, "case_deviations", **one)
    shown = deviations
    if kind is not None:
        shown = shown[(shown["kind"] == kind) & ((step_id is None) | (shown["step_id"] == step_id))]
        if shown.empty:
            raise EvidenceError(f"case '{case_id}' has no '{kind}' finding" + (f" at {step_id}" if step_id else ""),
                                field="kind", hint="the case's findings: " + ", ".join(sorted(set(deviations["kind"])))
                                if len(deviations) else "the case has no deviation")
    events = _q(con, "case_events", **one)
    steps = _q(con, "case_steps", **one)
    trace = _q(con, "case_trace", **one)
    accepted = _q(con, "case_acceptances", sop_id=sop_id, case_id=case_id, agency=agency)
    if kind is not None:
        accepted = accepted[accepted["acceptance_id"].isin(set(shown["acceptance_id"].dropna()))]
    history = _q(con, "acceptance_history", ids=tuple(int(i) for i in accepted["acceptance_id"]))

    title = f"{case_id} · {cat.sop_title(sop_id, 90)} · {agency} · {c['unit'] or '–'}"
    body = "".join([
        s.facts([("sop", f"{sop_id}: {model.title}"), ("agency", agency), ("unit", c["unit"]), ("case", case_id)]),
        s.identity(identity, tz),
        _findings(shown, cat, model, tz, events),
        _case_state(c, tz),
        s.heading("events"),
        s.table(("event_id", "import_file", "source_row", "activity", "lifecycle", "time_local", "resource"), [
            (e.event_id, f"{e.file_name} (#{e.import_id})", e.source_row, e.activity, e.lifecycle,
             s.local_time(e.ts, tz), e.resource) for e in events.itertuples(index=False)]),
        _mutu_baku(steps, cat, model, tz),
        _alignment(trace, deviations, cat, model),
        s.acceptances(accepted, history, lambda k: cat.label("acceptance_status", k, "id")),
    ])
    kind_name = "finding" if kind else "case"
    stem = case_name(case_id, kind, step_id, int(c["run_id"]))
    facts = {"subject": {"sop_id": sop_id, "agency": agency, "case_id": case_id, "kind": kind, "step_id": step_id},
             "run_id": int(c["run_id"]), "as_of": s.text(identity["as_of"].iloc[0]) if len(identity) else None,
             "model_sha256": c["model_sha256"], "event_ids": [int(e) for e in events["event_id"]]}
    return _finish(kind_name, stem, title, body, facts, created)


def _findings(rows: pd.DataFrame, cat: Catalog, model: Any, tz: str, events: pd.DataFrame) -> str:
    out = s.heading("findings")
    if rows.empty:
        return out + s.words(id_("no_findings"), en("no_findings"))
    at = {int(e.event_id): e for e in events.itertuples(index=False)}
    for d in rows.itertuples(index=False):
        step = cat.step_label(model.sop_id, d.step_id, 80, model.model_sha256) if isinstance(d.step_id, str) else "–"
        event = at.get(int(d.event_id)) if not s.missing(d.event_id) else None
        where = (f"{int(d.event_id)} · {event.file_name} · {id_('source_row').lower()} {event.source_row} · "
                 f"{s.local_time(event.ts, tz)}" if event is not None else "–")
        detected = "detected_alignment" if d.detected_by == "alignment" else "detected_rule"
        status = (f"{id_('accepted')} (#{int(d.acceptance_id)}) / {en('accepted')}" if d.accepted
                  else f"{id_('counted')} / {en('counted')}")
        out += s.facts([("kind", f"{cat.label('deviation_kinds', d.kind, 'id')} / {cat.label('deviation_kinds', d.kind, 'en')}"),
                        ("step", step), ("position", d.position), ("event_id", where), ("status", status)])
        out += s.words(d.explanation_id, d.explanation_en)
        out += s.words(f"{id_('rule')}: {cat.description('deviation_kinds', d.kind, 'id')}. {id_(detected)}",
                       f"{en('rule')}: {cat.description('deviation_kinds', d.kind, 'en')}. {en(detected)}")
    return out


def _case_state(c: pd.Series, tz: str) -> str:
    state = f"{id_('open')} / {en('open')}" if c["is_open"] else f"{id_('closed')} / {en('closed')}"
    return s.heading("case_state") + s.facts([
        ("case_state", state), ("first_event", s.local_time(c["first_ts"], tz)),
        ("last_event", s.local_time(c["last_ts"], tz)), ("fitness", c["alignment_fitness"]),
        ("model_conformant", c["model_conformant"]), ("conformant", c["conformant"]),
        ("deviations_found", c["deviations_found"]), ("deviations_accepted", c["deviations_accepted"])])


def _mutu_baku(steps: pd.DataFrame, cat: Catalog, model: Any, tz: str) -> str:
    rows = []
    for r in steps.itertuples(index=False):
        info = model.step(r.step_id)
        rows.append((cat.step_label(model.sop_id, r.step_id, 60, model.model_sha256), r.occurrence, r.lane,
                     info.waktu_raw if info else None,
                     f"{s.text(r.elapsed)} {r.std_unit} ({r.std_calendar})" if not s.missing(r.elapsed) else None,
                     cat.label("step_status", r.status, "id"), s.local_time(r.complete_ts, tz),
                     " → ".join(str(int(x)) for x in (r.start_event_id, r.complete_event_id) if not s.missing(x))))
    return s.heading("mutu_baku") + s.table(
        ("step", "occurrence", "lane", "waktu", "elapsed", "status", "completed", "event_id"), rows)


def _alignment(trace: pd.DataFrame, deviations: pd.DataFrame, cat: Catalog, model: Any) -> str:
    if trace.empty:
        return ""
    rows = case_view.alignment_rows(list(trace["activities"].iloc[0]), deviations, model, cat, "id")
    return s.heading("alignment") + s.table(("position", "trace", "sop_step", "move", "deviation"),
                                            [tuple(r) for r in rows.itertuples(index=False)])


# --- an SOP x agency x period --------------------------------------------------------------------

def period_pack(con: duckdb.DuckDBPyConnection, sop_id: str, agency: str, start: date, end: date, *,
                created: datetime | None = None) -> Pack:
    """The pack of an SOP at an agency over the cases starting from ``start`` to ``end``: the
    figures of the Deviasi page, the deviations by kind, every finding with its event, and
    the acceptances in force."""
    f = Filters(agency=agency, sop_id=sop_id, start=start, end=end)
    identity = _q(con, "period_identity", f)
    if identity.empty:
        raise EvidenceError(f"no analysed case of {sop_id} at {agency} from {start} to {end}", field="period",
                            hint="check the SOP id, the agency's full name and the period (cases by their first day)")
    cat = queries.load_catalog(con)
    tz = cat.timezone(sop_id)
    totals = _q(con, "fitness_totals", f).iloc[0]
    kinds = _q(con, "deviation_kinds", f)
    breaches = queries.breaches.totals(_q(con, "breach_counts", f))
    findings = _q(con, "period_findings", f)
    accepted = _q(con, "acceptances_in_scope", f)
    accepted = accepted[accepted["findings"] > 0]
    history = _q(con, "acceptance_history", ids=tuple(int(i) for i in accepted["acceptance_id"]))
    closed = int(totals["cases"])
    body = "".join([
        s.facts([("sop", f"{sop_id}: {cat.sop_title(sop_id, 120)}"), ("agency", agency),
                 ("period", f"{start.isoformat()} – {end.isoformat()}")]),
        s.identity(identity, tz),
        s.heading("rates"),
        s.facts([("cases_closed", closed), ("share_conformant", _share(totals["conformant_share"])),
                 ("share_model_conformant", _share(totals["model_conformant"] / closed if closed else None)),
                 ("deviations_counted", int(totals["deviations"])), ("deviations_accepted", int(totals["accepted"])),
                 ("breach_rate", _share(breaches["breach_rate"]))]),
        s.heading("by_kind"),
        s.table(("kind", "counted", "accepted", "cases"), [
            (f"{cat.label('deviation_kinds', k.kind, 'id')} / {cat.label('deviation_kinds', k.kind, 'en')}",
             k.n, k.accepted, k.cases) for k in kinds.itertuples(index=False)]),
        s.heading("period_findings"),
        s.table(("case", "kind", "step", "event_id", "import_file", "source_row", "time_local", "status"), [
            (r.case_id + (" (" + id_("open").split(" ")[0] + ")" if r.is_open else ""), r.kind, r.step_id,
             r.event_id, r.file_name, r.source_row, s.local_time(r.event_ts, tz),
             f"{id_('accepted')} #{int(r.acceptance_id)}" if r.accepted else id_("counted"))
            for r in findings.itertuples(index=False)], classes=["accepted" if a else "" for a in findings["accepted"]]),
        s.acceptances(accepted, history, lambda k: cat.label("acceptance_status", k, "id")),
    ])
    runs = sorted({int(r) for r in identity["run_id"]})
    stem = period_name(sop_id, agency, start, end, runs[-1])
    facts = {"subject": {"sop_id": sop_id, "agency": agency, "from": start.isoformat(), "to": end.isoformat()},
             "run_id": runs[-1], "runs": runs, "model_sha256": sorted(set(identity["model_sha256"].dropna())),
             "as_of": s.text(identity["as_of"].iloc[-1]),
             "event_ids": sorted({int(e) for e in findings["event_id"].dropna()})}
    return _finish("period", stem, f"{sop_id} · {agency} · {start.isoformat()} – {end.isoformat()}", body,
                   facts, created)


def _share(value: Any) -> str:
    return "–" if s.missing(value) else f"{float(value) * 100:.1f} %".replace(".", ",")


# --- files ----------------------------------------------------------------------------------------

def write(pack: Pack, out: Path, fmt: str = "html") -> list[Path]:
    """Write ``pack`` as ``out`` (a file name; its suffix is set by the format) in ``fmt``
    (``html``, ``pdf`` or ``both``), plus ``<name>.manifest.json`` listing each file's sha256.
    Returns the files written (the manifest last)."""
    if fmt not in FORMATS:
        raise EvidenceError(f"unknown format '{fmt}'", field="format", hint=f"one of {list(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    if fmt in ("html", "both"):
        path = out.with_suffix(".html")
        path.write_text(pack.html, encoding="utf-8")
        written.append(path)
    if fmt in ("pdf", "both"):
        path = out.with_suffix(".pdf")
        path.write_bytes(pack.pdf())
        written.append(path)
    side = seal.sidecar_for(out.with_suffix(".html"))
    side.write_text(json.dumps(seal.sidecar(pack.manifest, written), indent=2, sort_keys=True, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    return [*written, side]
