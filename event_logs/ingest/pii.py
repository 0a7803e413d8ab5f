"""What is personal data, in every field of every format — the one place that decides.

UU PDP 27/2022 makes NIK, names, phone numbers and addresses personal data. Rules:

* **Identity-number columns** (NIK / KK / KTP by name, :func:`is_id_column`) are replaced by
  ``HMAC-SHA256(key, digits)`` before a row is materialised anywhere in DuckDB; the NIK column
  itself (:func:`is_nik_column`) also gives ``cases.nik_hash``.
* **Personal columns** (:func:`is_personal_column`: names, parents, applicant, phone, e-mail,
  address, birth; see :data:`PERSON_WORDS`) are dropped unless kept (``--keep-column``).
* **Values**, in every other text field (case_id, activity, resource, unit, attributes,
  quarantine rows, CSV surplus fields): a whole value of 16 digits (grouped or not) is hashed
  as its digits; a 16+ digit run inside text becomes :data:`NUMBER_REMOVED`; an Indonesian
  phone number (``08…``, ``+62 8…``) becomes :data:`PHONE_REMOVED`. In a case id either makes
  the whole id its HMAC, so a case stays one case and stable under the same key.
* **Shifted values**: a field holding the value of one of its row's personal columns (a broken
  row puts a name under 'Status') becomes :data:`PERSONAL_REMOVED` (hashed, in a case id).
* **Messages** (errors, quarantine reasons, logs) show at most :func:`mask_value` of a value.

The same rules exist as DuckDB SQL (used on a million rows at once) and as Python (used on
names and messages); tests check the two agree.
"""

from __future__ import annotations

import re

from event_logs.ingest.secret import (  # noqa: F401  (re-exported: the key belongs to this topic)
    KEY_FILE_ENV,
    SECRET_ENV,
    hmac_hex,
    hmac_sql,
    key_file_path,
    load_secret,
)
from event_logs.ingest.text import norm_name

# --- columns ---------------------------------------------------------------------------------
# Normalised names (norm_name) of identity-number columns, hashed by default.
_ID_WORDS = r"(nik|nokk|nomorkk|nokartukeluarga|nomorkartukeluarga|noktp|nomorktp|ktp|kk|nomorinduk(kependudukan)?)"
_ID_OWNERS = r"(pemohon|peserta|pasien|wbs|kepalakeluarga|kepala|anggota)?"
PII_NAME_RE = re.compile(f"^{_ID_WORDS}{_ID_OWNERS}$")
# The person's own NIK (-> cases.nik_hash): nik*, ktp numbers (a KTP number is the NIK).
NIK_NAME_RE = re.compile(f"^(nik|noktp|nomorktp|ktp|nomorinduk(kependudukan)?){_ID_OWNERS}$")
_ID_TOKENS = frozenset({"nik", "kk", "ktp", "nokk", "noktp"})
_NIK_TOKENS = frozenset({"nik", "ktp", "noktp"})
# Words that may stand beside the NIK of the case's own person ("NIK Pemohon", "case:NIK").
_OWN_WORDS = frozenset({"no", "nomor", "nmr", "pemohon", "peserta", "pasien", "wbs", "kepala",
                        "keluarga", "anggota", "case", "applicant", "person", "warga"})
# A word of a column name that says the column holds a person's data.
PERSON_WORDS = frozenset({
    "nama", "name", "fullname", "namalengkap", "username",                  # names
    "pemohon", "pelapor", "applicant", "ibu", "ayah", "wali", "ortu", "orangtua", "kandung",
    "suami", "istri", "parent", "mother", "father", "guardian", "spouse",   # applicant, family
    "hp", "handphone", "ponsel", "telp", "telpon", "telepon", "tlp", "phone", "mobile", "wa",
    "whatsapp", "email", "surel",                                           # contact
    "alamat", "address", "domisili", "lahir", "birth", "ttl",               # address, birth
})
# Normalised names that start like these are personal too ("nohp", "namaibukandung", "telp1");
# short words only after no/nomor ("nowa"), so "waktu" or "hpp" stay what they are.
PERSON_PREFIX_RE = re.compile(r"^((no|nomor|nmr)(hp|handphone|ponsel|telp|telpon|telepon|tlp|wa|whatsapp|"
                              r"phone|kontak)|nama|alamat|email|ibukandung|telp|telepon|telpon|handphone|"
                              r"whatsapp|tgllahir|tanggallahir|tempatlahir)")
# ... unless a word says the column describes a thing, not a person ("Nama Kegiatan",
# "Nama Puskesmas", "Jenis Pemohon", "Jumlah KK").
THING_WORDS = frozenset({
    "kegiatan", "aktivitas", "activity", "layanan", "service", "instansi", "dinas", "kantor", "unit",
    "kelurahan", "kecamatan", "kabupaten", "kota", "provinsi", "desa", "puskesmas", "rs", "rsud",
    "faskes", "file", "berkas", "dokumen", "sop", "program", "langkah", "step", "produk", "obat",
    "bank", "sekolah", "panti", "lembaga", "jenis", "tipe", "type", "kategori", "status",
    "jumlah", "jml", "total", "count",
})
# XES standard keys whose names contain "name" but hold a label or a case id.
_STANDARD_KEYS = frozenset({"conceptname", "caseconceptname"})


def name_words(name: str) -> list[str]:
    """A column name as lower-case words: ``'NamaIbu_kandung'`` -> ``['nama', 'ibu', 'kandung']``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w]


def is_id_column(name: str) -> bool:
    """True for identity-number columns (NIK, KK, KTP), hashed by default."""
    words = name_words(name)
    if PII_NAME_RE.match(norm_name(name)):
        return True
    if THING_WORDS & set(words):  # 'Jumlah KK': a count
        return False
    return any(PII_NAME_RE.match(w) for w in words) or bool(_ID_TOKENS & set(words))


def is_nik_column(name: str) -> bool:
    """True for a column holding the case's person's NIK (its hash becomes ``cases.nik_hash``)."""
    words = name_words(name)
    if NIK_NAME_RE.match(norm_name(name)):
        return True
    return bool(_NIK_TOKENS & set(words)) and set(words) <= _NIK_TOKENS | _OWN_WORDS


def is_personal_column(name: str) -> bool:
    """True for columns holding a person's name, family, phone, e-mail, address or birth
    (dropped unless kept); identity-number columns are :func:`is_id_column` instead."""
    norm = norm_name(name)
    words = name_words(name)
    if norm in _STANDARD_KEYS or THING_WORDS & set(words):
        return False
    if words and words[0] == "case":  # XES trace attributes: 'case:nama'
        words = words[1:]
        norm = norm[4:]
    if any(w in PERSON_WORDS or w.startswith("nama") or "name" in w for w in words):
        return True
    return bool(PERSON_PREFIX_RE.match(norm))


# --- values ------------------------------------------------------------------------------------
# A value of exactly 16 digits looks like a NIK or KK number wherever it appears; digits may
# be grouped by single spaces, dots or hyphens ("3171 0112 0385 0001", "3171.01.120385.0001").
# A date-time has at most 14 digits so grouped, a phone number 13.
_DIGIT_RUN = r"[0-9](?:[ .\-]?[0-9])"
NIK_VALUE_RE = r"\s*" + _DIGIT_RUN + r"{15}\s*"
NIK_RUN_RE = _DIGIT_RUN + r"{15,}"
ID_NUMBER_RE = r"\s*" + _DIGIT_RUN + r"*\s*"
# Indonesian mobile numbers: 08xx or +62 8xx / 62 8xx, 10-14 digits, separators allowed.
# RE2 (DuckDB) has no look-behind: group 1 keeps the character before the number.
PHONE_RE = r"(^|[^0-9+])((?:\+?62|0)[ .\-]?8[1-9](?:[ .\-]?[0-9]){6,10})"
PHONE_VALUE_RE = r"\s*(?:\+?62|0)[ .\-]?8[1-9](?:[ .\-]?[0-9]){6,10}\s*"
# One test for "holds either" (RE2 runs it in one linear pass); the rest only for the few hits.
HOLDS_RE = f"{NIK_RUN_RE}|{PHONE_RE}"
# C0 control characters (but tab, line feed, carriage return) and DEL: no export takes them.
CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
NUMBER_REMOVED = "[number removed]"
PERSONAL_REMOVED = "[personal data removed]"  # a row's personal value found in another field
PHONE_REMOVED = "[phone removed]"
_PY_PHONE = re.compile(PHONE_RE)
_PY_NIK_RUN = re.compile(NIK_RUN_RE)
_PY_HOLDS = re.compile(HOLDS_RE)
_PY_CONTROL = re.compile(CONTROL_RE)


def sql_re(pattern: str) -> str:
    """A regex as the body of a SQL string literal."""
    return pattern.replace("'", "''")


def _digits_sql(expr: str) -> str:
    return f"regexp_replace({expr}, '[^0-9]', '', 'g')"


def id_digits_sql(expr: str) -> str:
    """An identity number as its digits alone ("3171 0112-0385.0001" -> "3171011203850001"),
    so the same NIK hashes the same however it was written; other text is left as it is."""
    return (f"CASE WHEN regexp_full_match({expr}, '{ID_NUMBER_RE}') "
            f"THEN {_digits_sql(expr)} ELSE {expr} END")


def _redact_sql(expr: str) -> str:
    numbers = f"regexp_replace({expr}, '{NIK_RUN_RE}', '{NUMBER_REMOVED}', 'g')"
    return f"regexp_replace({numbers}, '{sql_re(PHONE_RE)}', '\\1{PHONE_REMOVED}', 'g')"


def guard_sql(expr: str, key: bytes, *, identifier: bool = False) -> str:
    """Protect NIK/KK and phone numbers in a text field not named as personal data.

    Text: a whole value of 16 digits is hashed as its digits (still linkable), 16+ digit runs
    and phone numbers inside it are replaced. ``identifier`` (the case id): a value holding
    either becomes its HMAC whole, so distinct ids stay distinct and stable.
    """
    hashed = hmac_sql(_digits_sql(expr), key)
    head = (f"CASE WHEN {expr} IS NULL OR NOT regexp_matches({expr}, '{sql_re(HOLDS_RE)}') THEN {expr} "
            f"WHEN regexp_full_match({expr}, '{NIK_VALUE_RE}') THEN {hashed} ")
    if not identifier:
        return head + f"ELSE {_redact_sql(expr)} END"
    return (head + f"WHEN regexp_full_match({expr}, '{PHONE_VALUE_RE}') THEN {hashed} "
            f"ELSE {hmac_sql(expr, key)} END")


def strip_control_sql(expr: str) -> str:
    """``expr`` without control characters (see :data:`CONTROL_RE`)."""
    return f"regexp_replace({expr}, '{CONTROL_RE}', '', 'g')"


def guard_text(value: str, key: bytes) -> str:
    """:func:`guard_sql` (not ``identifier``) in Python, for one value at a time (what the
    audit log records of a typed case id): a whole NIK becomes its HMAC as in the store,
    16+ digit runs and phone numbers inside text are replaced."""
    if not _PY_HOLDS.search(value):
        return value
    if re.fullmatch(NIK_VALUE_RE, value):
        return hmac_hex(re.sub(r"[^0-9]", "", value), key)
    text = _PY_NIK_RUN.sub(NUMBER_REMOVED, value)
    return _PY_PHONE.sub(lambda m: m.group(1) + PHONE_REMOVED, text)


def redact(text: str) -> str:
    """Free text safe to show: control characters removed, 16+ digit runs (NIK/KK, grouped or
    not) and Indonesian phone numbers replaced. For messages, labels, logs."""
    text = _PY_CONTROL.sub("", str(text))
    if not _PY_HOLDS.search(text):
        return text
    text = _PY_NIK_RUN.sub(NUMBER_REMOVED, text)
    return _PY_PHONE.sub(lambda m: m.group(1) + PHONE_REMOVED, text)


# --- showing a value in a message -------------------------------------------------------------
# A value is shown (redacted) when it is made of date-and-time characters only, or is a known
# lifecycle word; anything else could be a name and is described by its length alone.
_DATEISH_RE = r"([0-9 ./:,+\-TZtz]|\[number removed\]|\[phone removed\])*"
SHOWN_WORDS = ("schedule", "assign", "withdraw", "reassign", "start", "suspend", "resume",
               "pi_abort", "ate_abort", "complete", "autoskip", "manualskip", "unknown",
               "mulai", "selesai", "batal", "ditunda", "dilanjutkan", "dibatalkan")
SHOWN_LIMIT = 40
_PY_DATEISH = re.compile(_DATEISH_RE)


def mask_value(value: object) -> str:
    """A data value as a message may show it: ``'31/31/2024'``, ``'[number removed]'``,
    ``'suspend'``, or ``(12 characters, not shown)`` for text that could be personal."""
    if value is None:
        return "(empty)"
    text = str(value)
    shown = redact(text)
    if _PY_DATEISH.fullmatch(shown) or text.strip().lower() in SHOWN_WORDS:
        return "'" + (shown if len(shown) <= SHOWN_LIMIT else shown[:SHOWN_LIMIT] + "…") + "'"
    return f"({len(text)} characters, not shown)"


def mask_value_sql(expr: str) -> str:
    """:func:`mask_value` as a DuckDB expression over the VARCHAR ``expr``."""
    shown = _redact_sql(strip_control_sql(expr))
    words = ", ".join(f"'{w}'" for w in SHOWN_WORDS)
    return (f"CASE WHEN {expr} IS NULL THEN '(empty)' "
            f"WHEN regexp_full_match({shown}, '{_DATEISH_RE}') OR lower(trim({expr})) IN ({words}) "
            f"THEN '''' || CASE WHEN length({shown}) <= {SHOWN_LIMIT} THEN {shown} "
            f"ELSE left({shown}, {SHOWN_LIMIT}) || '…' END || '''' "
            f"ELSE '(' || length({expr}) || ' characters, not shown)' END")
