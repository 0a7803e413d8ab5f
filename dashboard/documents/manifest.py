"""The manifest of a document: the SHA-256 of its content, inside the file, so a copy can be
checked offline (``pantau evidence verify FILE``).

*Content* is the whole HTML document except its creation time (the ``dcterms.created`` meta)
and the manifest block itself, followed by the manifest's facts (run id, as-of, event ids, ...);
so two renderings of the same run have the same content hash,
and the hash an auditor writes into the report identifies the evidence, not the printing.
The manifest block (between :data:`START` and :data:`END`) holds the manifest as JSON and
shows it; :func:`verify` recomputes the content hash, checks the creation time against the
manifest, and rebuilds the block from the JSON, so a changed byte anywhere is found.

A PDF is the HTML printed (its bytes differ with the creation time): its manifest is a file
beside it, ``<name>.manifest.json``, naming the content hash it was printed from and the
SHA-256 of each file written (:func:`sidecar`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard.documents.render import escape

START = "<!--pantau:manifest-->"
END = "<!--/pantau:manifest-->"
SLOT = START + END  # where a document leaves room for its manifest
_CREATED = re.compile(r'(<meta name="dcterms\.created" content=")([^"]*)(">)')
_BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
_JSON = re.compile(r'<script type="application/json" id="pantau-manifest">(.*?)</script>', re.DOTALL)
SIDECAR_SUFFIX = ".manifest.json"


def canonical(document: str) -> str:
    """The document without its creation time and its manifest block: what is hashed."""
    return _BLOCK.sub(SLOT, _CREATED.sub(r"\1\3", document, count=1), count=1)


_UNHASHED = ("created", "content_sha256", "algorithm")  # the creation time is checked against the meta


def _facts_json(facts: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in facts.items() if k not in _UNHASHED}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def content_sha256(document: str, facts: dict[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical` ``document`` and the manifest's ``facts`` (run, as-of,
    event ids, ...; UTF-8, one line of sorted JSON after the document): a fact edited in the
    manifest changes the hash as a changed byte of the page does."""
    return hashlib.sha256((canonical(document) + "\n" + _facts_json(facts)).encode("utf-8")).hexdigest()


def _created(document: str) -> str | None:
    found = _CREATED.search(document)
    return found.group(2) if found else None


def block(manifest: dict[str, Any], labels: tuple[str, str]) -> str:
    """The manifest block: the JSON (for :func:`verify`) and a visible line with the hash.
    ``labels``: the heading and the how-to-check sentence, already in the document's words."""
    # "</" inside a script element would end it: JSON allows "\/" for "/"
    text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (f'{START}<section class="manifest"><h2>{escape(labels[0])}</h2>'
            f'<p class="small">sha256: <code>{escape(manifest["content_sha256"])}</code></p>'
            f'<p class="small muted">{escape(labels[1])}</p>'
            f'<script type="application/json" id="pantau-manifest">{text}</script>'
            f"</section>{END}")


def seal(document: str, facts: dict[str, Any], labels: tuple[str, str]) -> tuple[str, dict[str, Any]]:
    """``document`` (with :data:`SLOT` in its body) with its manifest filled in: ``facts``
    (kind, subject, run, ...) plus the creation time and the content hash. Returns the sealed
    document and the manifest."""
    if document.count(SLOT) != 1:
        raise ValueError("a sealed document leaves exactly one manifest slot")
    manifest = dict(facts, created=_created(document), content_sha256=content_sha256(document, facts),
                    algorithm="sha256 of the HTML without its dcterms.created value and this block, "
                              "a newline, and this manifest as sorted compact JSON without "
                              "created, content_sha256 and algorithm")
    return document.replace(SLOT, block(manifest, labels), 1), manifest


@dataclass
class Check:
    """What :func:`verify` found."""

    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.problems


def _labels_of(document: str) -> tuple[str, str]:
    found = re.search(re.escape(START) + r'<section class="manifest"><h2>(.*?)</h2>.*?'
                      r'<p class="small muted">(.*?)</p>', document, re.DOTALL)
    return (html.unescape(found.group(1)), html.unescape(found.group(2))) if found else ("", "")


def verify_html(document: str, expected: str | None = None) -> Check:
    """Check an HTML document against the manifest inside it (and against ``expected``, the
    content hash written down elsewhere, when given)."""
    check = Check()
    found = _JSON.search(document)
    if not found or document.count(START) != 1:
        check.problems.append("no Pantau manifest in this file (not an evidence pack, or its manifest was cut)")
        return check
    try:
        check.manifest = json.loads(found.group(1))
        claimed = str(check.manifest["content_sha256"])
    except (ValueError, KeyError, TypeError):
        check.problems.append("the manifest is not readable JSON with a content_sha256")
        return check
    actual = content_sha256(document, check.manifest)
    if actual != claimed:
        check.problems.append(f"the content was changed: its sha256 is {actual}, the manifest says {claimed}")
    if _created(document) != check.manifest.get("created"):
        check.problems.append("the creation time was changed: it differs from the manifest's")
    if block(check.manifest, _labels_of(document)) not in document:
        check.problems.append("the manifest block was changed")
    if expected and expected.lower() != claimed:
        check.problems.append(f"this is not the pack you noted: its content sha256 is {claimed}, not {expected}")
    return check


def sidecar_for(path: Path) -> Path:
    """The manifest file beside a written document: ``x.pdf`` -> ``x.manifest.json``."""
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def sidecar(manifest: dict[str, Any], files: list[Path]) -> dict[str, Any]:
    """The manifest file's content: the document's manifest plus each written file's sha256."""
    return dict(manifest, files={p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files})


def verify_file(path: Path, expected: str | None = None) -> Check:
    """Check a written pack: an HTML file by its own manifest; a PDF (or any other file) by the
    manifest file beside it, whose sha256 of the file must match."""
    data = path.read_bytes()
    if path.suffix.lower() in (".html", ".htm"):
        return verify_html(data.decode("utf-8", errors="replace"), expected)
    check = Check()
    side = sidecar_for(path)
    if not side.exists():
        check.problems.append(f"no manifest beside it ({side.name}): a PDF is checked against the manifest "
                              "written with it")
        return check
    try:
        check.manifest = json.loads(side.read_text(encoding="utf-8"))
        listed = check.manifest["files"][path.name]
    except (ValueError, KeyError, TypeError):
        check.problems.append(f"{side.name} does not list {path.name}")
        return check
    actual = hashlib.sha256(data).hexdigest()
    if actual != listed:
        check.problems.append(f"the file was changed: its sha256 is {actual}, {side.name} says {listed}")
    if expected and expected.lower() != check.manifest.get("content_sha256"):
        check.problems.append(f"this is not the pack you noted: its content sha256 is "
                              f"{check.manifest.get('content_sha256')}, not {expected}")
    return check
