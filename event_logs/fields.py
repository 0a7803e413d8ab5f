"""The event fields a source column can be, and the column names each is recognised by.

Shared by the importer (:mod:`event_logs.ingest.columns`) and the dashboard's upload form, so
the form proposes exactly what ``pantau ingest`` would do. Names are compared normalised
(:func:`event_logs.text.norm_name`).
"""

from __future__ import annotations

FIELDS: tuple[str, ...] = ("case_id", "activity", "timestamp", "resource", "lifecycle", "unit", "agency")
REQUIRED: tuple[str, ...] = ("case_id", "activity", "timestamp")

# Recognised names per field, best first (the first alias present wins). The XES standard
# keys come first: a log exported by a process-mining tool may carry both 'concept:name'
# and a display column 'Activity', and the standard key is the one its tools agree on.
ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case:concept:name", "case_id", "no_registrasi", "no registrasi", "nomor registrasi",
                "case id", "id kasus", "case"),
    "activity": ("concept:name", "activity", "kegiatan", "aktivitas", "langkah"),
    "timestamp": ("time:timestamp", "timestamp", "tanggal", "waktu", "tgl", "datetime"),
    "resource": ("org:resource", "resource", "petugas", "pelaksana_nama"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "status"),
    "unit": ("unit", "unit layanan", "kantor", "kelurahan", "puskesmas"),
    "agency": ("agency", "instansi", "dinas"),
}

# Columns recognised (not mapped) under these names must prove they hold lifecycle words;
# a "status" column of case statuses ("diterima", "ditolak") is an attribute instead.
WEAK_ALIASES: dict[str, frozenset[str]] = {"lifecycle": frozenset({"status"})}
