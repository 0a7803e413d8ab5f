"""What a plain activity table does not show, proposed from its words (``proposals:``).

Rules a reader of any Permenpan-RB 35/2012 SOP applies; each finding is written into the
draft *and* listed as a proposal (rule, step, what, the evidence quoted), so the curator
accepts or undoes it:

- **conditions** in a row ("jika / apabila / bila / bilamana / kalau <condition>, [maka]
  <outcome>") make the row a decision (``kind: decision``). Per clause:
  - the file goes back to the applicant ("dikembalikan ke/kepada pemohon / pengguna
    layanan / masyarakat", or the applicant completes or corrects it: "dilengkapi",
    "diperbaiki") -> a loop from the row where the file was received ("menerima",
    "penerimaan"; else the first step) to this row, ``returns_to: pemohon``;
  - it goes back to another actor ("dikembalikan / dikoordinasikan kembali / dikirim
    kembali ke / kepada / dengan <lane>") -> a loop from that lane's last row before this
    one, ``returns_to: null``; "kembali ke langkah N" -> a loop from row N;
  - otherwise, unless another clause of the row loops (then this one is the way out) or it
    sends the file to the next row's lane (the table goes on), the condition leads where
    the table does not: a choice after the row between the rest of the table (``lanjut``)
    and nothing (the case ends or leaves this SOP);
- a row that *starts* with a condition ("Jika NIK tidak ditemukan, maka ...") is done only
  then: an optional block around it;
- a row that picks the procedure from a result ("langkah ... sesuai / berdasarkan hasil",
  "sesuai dengan situasi / kondisi") or carries a printed decision diamond is a decision
  whose branches the next rows describe (kind only);
- **per-unit** Waktu ("1 menit per WBS") -> ``per_units: {WBS: jumlah_wbs}``;
- **day-of-month deadlines** in the Standar Pelayanan ("... setiap tanggal 15 di setiap
  bulan") -> ``waktu_context`` of the first case step whose Kegiatan or Output names most
  of the deadline clause's words (words of the title, the agency and the lanes aside);
- **program scope**: the leading rows that set a programme up rather than handle one case
  (an agreement "perjanjian kerja sama / nota kesepahaman / MoU", "sosialisasi", "rapat
  koordinasi", or a letter to all units "se-Kota / se-Kabupaten / seluruh kelurahan")
  -> ``scope: program``; a later monthly batch step (a recap with a day-of-month deadline)
  is only pointed out, not changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sop_models.flow import Loop, Node, Seq, Skip, Task, Xor, flow_data
from sop_models.importer.lanes import lane_at
from sop_models.importer.text import slugify
from sop_models.waktu import parse_waktu

_F = re.IGNORECASE
_IF = r"(?:jika|apabila|bilamana|bila|kalau|jikalau)"
_CLAUSE = re.compile(rf"\b{_IF}\b\s+(?P<cond>.+?)(?=\s[-–•]\s+{_IF}\b|\s+{_IF}\b|;|$)", _F)
_THEN = re.compile(r"\s*(?:,\s*(?:maka\s+)?|\s+maka\s+)", _F)
_TO_APPLICANT = re.compile(
    r"\b(?:di)?kembalikan\b.*?\b(?:ke|kepada)\s+(?:pemohon|pengguna|pelanggan|masyarakat|pendaftar|pengusul|wajib)"
    r"|\b(?:dilengkapi|melengkapi|diperbaiki|memperbaiki)\b", _F)
_TO_ACTOR = re.compile(
    r"\b(?:dikembalikan|dikoordinasikan\s+kembali|dikirim\s+kembali|dikirimkan\s+kembali|diteruskan\s+kembali"
    r"|diserahkan\s+kembali|dikonfirmasi\s+kembali)\s+(?:lagi\s+)?(?:ke|kepada|dengan)\s+", _F)
_TO_STEP = re.compile(r"\bkembali\s+ke\s+(?:langkah|kegiatan|tahap|tahapan|nomor|no\.?)\s*(?P<n>\d+)", _F)
_SENT_TO = re.compile(r"\b(?:ke|kepada)\s+", _F)
_RECEIVE = re.compile(r"\b(?:menerima|penerimaan|diterima)\b", _F)
_TRIAGE = re.compile(r"\b(?:langkah|prosedur|tindakan|tindak\s+lanjut)\b[^.]{0,80}?\b(?:sesuai|berdasarkan|tergantung)\b"
                     r"|\bsesuai\s+(?:dengan\s+)?(?:situasi|kondisi)\b", _F)
_DIAMONDS = set("◇◆◊⬦⬥⯁")
_PROGRAM = re.compile(r"\bperjanjian\s+kerja\s*sama\b|\bnota\s+kesepahaman\b|\bmou\b|\bsosialisasi\b"
                      r"|\brapat\s+koordinasi\b|\bse-?\s*(?:kota|kabupaten|provinsi|kecamatan)\b"
                      r"|\bseluruh\s+(?:kelurahan|kecamatan|desa|puskesmas|opd|skpd)\b", _F)
_BATCH = re.compile(r"\brekap(?:itulasi)?\b|\bsetiap\s+bulan|\bbulanan\b", _F)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"dan", "atau", "di", "ke", "dari", "yang", "oleh", "untuk", "dengan", "pada", "akan", "dalam", "setiap",
         "tiap", "tanggal", "bulan", "awal", "akhir", "hari", "by", "serta", "para", "ini", "itu"}


@dataclass
class _Clause:
    condition: str
    outcome: str
    kind: str  # "pemohon" | "actor" | "step" | "next" | "choice"
    target: str | None = None  # the step id the loop goes back to


def propose(data: dict[str, Any]) -> None:
    """Apply the rules of the module docstring to a draft mapping; list them in ``proposals``."""
    steps: list[dict[str, Any]] = data["steps"]
    lanes: list[str] = data["lanes"]
    proposals: list[dict[str, Any]] = []

    def add(rule: str, step: str | None, what: str, evidence: str, applied: bool = True,
            node: str | None = None) -> None:
        item = {"rule": rule, "step": step, "what": what, "evidence": evidence, "applied": applied}
        if node:
            item["node"] = node
        proposals.append(item)

    _program_scope(steps, add)
    case = [s for s in steps if s.get("scope", "case") == "case"]
    loops: list[tuple[int, int, str | None, str, str]] = []  # (first, last, returns_to, id, label)
    choices: dict[int, tuple[str, str]] = {}  # row -> (node id, condition)
    optional: dict[int, tuple[str, str]] = {}
    ids: set[str] = {s["id"] for s in steps}
    for i, step in enumerate(case):
        text = " ".join(x for x in (step["name"], step.get("keterangan") or "") if x)
        clauses = [_classify(m, case, i, lanes) for m in _CLAUSE.finditer(text)]
        if re.match(rf"\s*{_IF}\b", step["name"], _F) and clauses:
            node = _unique(f"jika-{slugify(clauses[0].condition, 40)}", ids)
            optional[i] = (node, clauses[0].condition)
            add("optional", step["id"], f"done only when '{clauses[0].condition}': optional block {node}; "
                "the rows after it may belong to the same branch", step["name"], node=node)
            continue
        looping = [c for c in clauses if c.kind in ("pemohon", "actor", "step")]
        for c in looping[:1]:
            first = next(j for j, s in enumerate(case) if s["id"] == c.target)
            returns = "pemohon" if c.kind == "pemohon" else None
            node = _unique("dikembalikan-ke-pemohon" if returns else f"kembali-ke-{slugify(case[first]['lane'], 30)}", ids)
            loops.append((first, i, returns, node, f"{c.condition}: {c.outcome}".strip(": ")))
            add("loop", step["id"], f"loop {node} over {case[first]['id']}..{step['id']}, returns_to: {returns or 'null'}",
                f"jika {c.condition}, {c.outcome}".strip(", "), node=node)
        others = [c for c in clauses if c.kind == "choice"] if not looping else []
        if others and i + 1 < len(case):
            c = others[0]
            node = _unique(slugify(c.condition, 40), ids)
            choices[i] = (node, c.condition)
            add("choice", step["id"], f"choice {node} after {step['id']}: 'lanjut' (the rest of the table) or "
                f"'{_branch(c.condition)}' (nothing the table shows)", f"jika {c.condition}", node=node)
        triage = bool(_TRIAGE.search(step["name"])) or any(_DIAMONDS & set(m) for m in step.get("lane_marks", {}).values())
        if looping or others or triage:
            step["kind"] = "decision"
            if triage and not (looping or others):
                add("decision", step["id"], "kind: decision (the procedure follows a result; build the xor from "
                    "the rows after it)", step["name"])
            else:
                add("decision", step["id"], "kind: decision", text)
    _per_units(data, add)
    _deadlines(data, case, add)
    _batches(case, add)
    data["flow"] = flow_data(_build(case, list(range(len(case))), loops, choices, optional))
    data["proposals"] = proposals


def _classify(m: re.Match[str], case: list[dict[str, Any]], i: int, lanes: list[str]) -> _Clause:
    body = m["cond"].strip(" -–•.")
    parts = _THEN.split(body, maxsplit=1)
    cond, outcome = (parts[0], parts[1]) if len(parts) == 2 else (body, "")
    whole = body
    if _TO_APPLICANT.search(whole):
        first = max((j for j in range(i + 1) if _RECEIVE.search(case[j]["name"])), default=0)
        return _Clause(cond, outcome, "pemohon", case[first]["id"])
    if (back := _TO_STEP.search(whole)) and (hit := next((s for s in case[: i + 1] if s.get("no") == back["n"]), None)):
        return _Clause(cond, outcome, "step", hit["id"])
    for a in _TO_ACTOR.finditer(whole):
        lane = lane_at(whole, a.end(), lanes)
        earlier = [s for s in case[:i] if s["lane"] == lane]
        if lane and earlier:
            return _Clause(cond, outcome, "actor", earlier[-1]["id"])
    nxt = case[i + 1]["lane"] if i + 1 < len(case) else None
    sent = [lane_at(whole, s.end(), lanes) for s in _SENT_TO.finditer(whole)]
    return _Clause(cond, outcome, "next" if nxt and nxt in sent else "choice")


def _branch(condition: str) -> str:
    return slugify(condition, 40)


def _unique(base: str, taken: set[str]) -> str:
    base = base or "pilihan"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _build(case: list[dict[str, Any]], rows: list[int], loops: list, choices: dict, optional: dict) -> Node:
    """The flow over ``rows`` (indexes into ``case``): choices split first, then loops."""
    if not rows:
        return Skip()
    inside = [lp for lp in loops if lp[0] in rows and lp[1] in rows]
    for k in rows:
        if k in choices and k != rows[-1] and not any(lp[0] <= k < lp[1] for lp in inside):
            node, condition = choices[k]
            cut = rows.index(k) + 1
            rest = _build(case, rows[cut:], loops, choices, optional)
            xor = Xor(node, (("lanjut", rest), (_branch(condition), Skip())), f"jika {condition}")
            return _seq([_build(case, rows[:cut], loops, choices, optional), xor])
    if inside:
        first, last, returns, node, label = min(inside, key=lambda lp: (lp[0], -lp[1]))
        a, b = rows.index(first), rows.index(last) + 1
        rest = [lp for lp in loops if lp[3] != node]
        body = _build(case, rows[a:b], rest, choices, optional)
        return _seq([_build(case, rows[:a], rest, choices, optional), Loop(node, body, Skip(), returns, label),
                     _build(case, rows[b:], rest, choices, optional)])
    items: list[Node] = []
    for k in rows:
        task = Task(case[k]["id"])
        if k in optional:
            node, condition = optional[k]
            items.append(Xor(node, (("ya", task), ("lewati", Skip())), f"jika {condition}"))
        else:
            items.append(task)
    return _seq(items)


def _seq(parts: list[Node]) -> Node:
    flat: list[Node] = []
    for p in parts:
        flat += list(p.children) if isinstance(p, Seq) else [] if isinstance(p, Skip) else [p]
    return Skip() if not flat else flat[0] if len(flat) == 1 else Seq(tuple(flat))


def _program_scope(steps: list[dict[str, Any]], add: Any) -> None:
    for step in steps:
        found = _PROGRAM.search(step["name"])
        if not found:
            return  # only the leading rows set a programme up
        step["scope"] = "program"
        add("program-scope", step["id"], "scope: program (done once per programme period, not per case; "
            "not in the flow)", found.group(0))


def _per_units(data: dict[str, Any], add: Any) -> None:
    units: dict[str, str] = {}
    for step in data["steps"]:
        try:
            per = parse_waktu(step["waktu"], context=step.get("waktu_context")).per
        except Exception:  # an unreadable Waktu is reported elsewhere (sop check)
            continue
        if per and per not in units:
            units[per] = "jumlah_" + re.sub(r"[^a-z0-9]+", "_", per.lower()).strip("_")
            add("per-unit", step["id"], f"per_units: {per} -> case attribute {units[per]} (check its name)",
                str(step["waktu"]))
    if units:
        data["per_units"] = units


def _noise_words(data: dict[str, Any]) -> set[str]:
    text = " ".join([data.get("title") or "", data.get("agency") or "", data.get("region") or "", *data["lanes"]])
    return set(_WORD.findall(text.lower())) | _STOP


def _deadlines(data: dict[str, Any], case: list[dict[str, Any]], add: Any) -> None:
    schedule = (data.get("service_standard") or {}).get("schedule") or []
    noise = _noise_words(data)
    for item in schedule:
        for clause in re.split(r"[,;]", item):
            day = parse_waktu(None, context=clause).deadline_day
            if day is None:
                continue
            words = set(_WORD.findall(clause.lower())) - noise
            scores = [len(words & set(_WORD.findall(f"{s['name']} {s.get('output') or ''}".lower()))) for s in case]
            best = max(scores, default=0)
            if best == 0:
                add("deadline", None, f"day-of-month deadline {day} matches no step: attach it by hand", item, False)
                continue
            step = case[scores.index(best)]  # the first step that names most of the clause
            if parse_waktu(step["waktu"], context=step.get("waktu_context")).deadline_day is not None:
                continue
            context = " ".join(x for x in (step.get("waktu_context"), item) if x)
            try:
                parse_waktu(step["waktu"], context=context)
            except Exception:  # two maxima or days: leave it to the curator
                add("deadline", step["id"], f"deadline day {day} conflicts with the row's own Waktu context", item, False)
                continue
            step["waktu_context"] = context
            add("deadline", step["id"], f"waktu_context from the Standar Pelayanan: deadline day {day}", item)


def _batches(case: list[dict[str, Any]], add: Any) -> None:
    for step in case:
        if _BATCH.search(step["name"]):
            try:
                day = parse_waktu(step["waktu"], context=step.get("waktu_context")).deadline_day
            except Exception:
                continue
            if day is not None:
                add("batch", step["id"], "a monthly batch (recap with a deadline): kept as a case step that "
                    "waits for the deadline; make it scope: program if a case is not one applicant's file",
                    step["name"], applied=False)


def comment_proposals(text: str, proposals: list[dict[str, Any]]) -> str:
    """The draft's YAML with a ``# USULAN (proposal): ...`` line above what each proposal changed."""
    lines = text.splitlines()
    notes: dict[int, list[str]] = {}
    for p in proposals:
        if not p["applied"]:
            continue
        if p.get("node"):
            pattern = re.compile(rf"^\s*(?:- )?id: {re.escape(p['node'])}$")
        elif p["rule"] == "per-unit":
            pattern = re.compile(r"^per_units:")
        elif p["step"]:
            pattern = re.compile(rf"^\s*- id: {re.escape(p['step'])}$")
        else:
            continue
        at = next((n for n, line in enumerate(lines) if pattern.match(line)), None)
        if at is not None:
            indent = re.match(r"\s*", lines[at]).group(0)
            notes.setdefault(at, []).append(f"{indent}# USULAN (proposal, {p['rule']}): {p['what']}")
    out: list[str] = []
    for n, line in enumerate(lines):
        out += notes.get(n, [])
        out.append(line)
    return "\n".join(out) + "\n"
