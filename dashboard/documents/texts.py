"""The words of the evidence packs, Bahasa Indonesia first and English second: a document for
an Inspektorat report shows both (``id`` large, ``en`` beneath or after it)."""

from __future__ import annotations

from dashboard.documents.render import escape

TEXTS: dict[str, tuple[str, str]] = {
    "pack": ("Paket bukti", "Evidence pack"),
    "pack_finding": ("Paket bukti temuan", "Evidence pack of a finding"),
    "pack_case": ("Paket bukti kasus", "Evidence pack of a case"),
    "pack_period": ("Paket bukti SOP × instansi × periode", "Evidence pack of an SOP × agency × period"),
    "identity": ("Identitas pemeriksaan", "What was checked against what"),
    "sop": ("SOP", "SOP"),
    "sop_number": ("Nomor SOP", "SOP number"),
    "revision": ("Revisi", "Revision"),
    "effective": ("Tanggal efektif", "Effective date"),
    "model_sha256": ("Model (sha256 berkas model)", "Model (sha256 of the model file)"),
    "calendar_version": ("Versi kalender kerja", "Working calendar version"),
    "run_id": ("Run analisis", "Analysis run"),
    "as_of": ("Kasus terbuka dinilai per", "Open cases judged as of"),
    "pantau_version": ("Versi Pantau", "Pantau version"),
    "agency": ("Instansi", "Agency"),
    "unit": ("Unit layanan", "Service unit"),
    "period": ("Periode (hari pertama kasus)", "Period (the case's first day)"),
    "case": ("Kasus", "Case"),
    "case_state": ("Status kasus", "Case status"),
    "open": ("terbuka (belum mencapai akhir SOP): dinilai sejauh ini", "open (has not reached an end of the SOP): judged so far"),
    "closed": ("selesai", "closed"),
    "first_event": ("Kejadian pertama", "First event"),
    "last_event": ("Kejadian terakhir", "Last event"),
    "fitness": ("Fitness penjajaran", "Alignment fitness"),
    "model_conformant": ("Sesuai model SOP", "Fits the SOP model"),
    "conformant": ("Sesuai (deviasi yang diterima tidak dihitung)", "Conformant (accepted deviations not counted)"),
    "deviations_found": ("Deviasi ditemukan", "Deviations found"),
    "deviations_accepted": ("Deviasi diterima", "Deviations accepted"),
    "findings": ("Temuan dan aturan yang diterapkan", "Findings and the rule applied"),
    "no_findings": ("Kasus ini tidak memiliki deviasi.", "This case has no deviation."),
    "kind": ("Jenis", "Kind"),
    "step": ("Langkah", "Step"),
    "position": ("Posisi", "Position"),
    "event_id": ("ID kejadian", "Event id"),
    "rule": ("Aturan", "Rule"),
    "explanation": ("Penjelasan", "Explanation"),
    "detected_alignment": ("Ditemukan dengan penjajaran (alignment) jejak kasus terhadap model SOP di atas.",
                           "Found by aligning the case's trace with the SOP model above."),
    "detected_rule": ("Ditemukan dengan aturan Mutu Baku/SOP atas kejadian kasus.",
                      "Found by an SOP rule over the case's events."),
    "accepted": ("Diterima", "Accepted"),
    "counted": ("Dihitung", "Counted"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "events": ("Kejadian kasus (seperti tersimpan)", "The case's events (as stored)"),
    "import_file": ("Berkas impor", "Import file"),
    "source_row": ("Baris sumber", "Source row"),
    "activity": ("Kegiatan (label sumber)", "Activity (source label)"),
    "lifecycle": ("Siklus", "Lifecycle"),
    "time_local": ("Waktu (lokal)", "Time (local)"),
    "resource": ("Pelaksana", "Resource"),
    "mutu_baku": ("Mutu Baku per langkah", "Mutu Baku per step"),
    "occurrence": ("Ke-", "Occurrence"),
    "lane": ("Lane", "Lane"),
    "waktu": ("Waktu (SOP)", "Time allowed (SOP)"),
    "elapsed": ("Waktu terpakai", "Time taken"),
    "status": ("Status", "Status"),
    "completed": ("Selesai", "Completed"),
    "alignment": ("Penjajaran jejak dengan SOP", "Alignment of the trace with the SOP"),
    "trace": ("Jejak", "Trace"),
    "sop_step": ("Langkah SOP", "SOP step"),
    "move": ("Langkah penjajaran", "Move"),
    "deviation": ("Deviasi", "Deviation"),
    "acceptances": ("Penerimaan deviasi", "Accepted deviations"),
    "no_acceptances": ("Tidak ada deviasi yang diterima.", "No deviation is accepted."),
    "acceptance": ("Penerimaan", "Acceptance"),
    "covers": ("Mencakup", "Covers"),
    "reason": ("Alasan", "Reason"),
    "by": ("Oleh", "By"),
    "when": ("Kapan (UTC)", "When (UTC)"),
    "until": ("Berlaku sampai", "Valid until"),
    "history": ("Riwayat (berkas penerimaan, berantai hash)", "History (acceptances file, hash-chained)"),
    "action": ("Tindakan", "Action"),
    "rates": ("Angka periode ini", "This period's figures"),
    "cases_closed": ("Kasus selesai", "Closed cases"),
    "share_conformant": ("Persentase sesuai SOP", "Share conformant"),
    "share_model_conformant": ("... tanpa penerimaan deviasi", "... without accepted deviations"),
    "deviations_counted": ("Deviasi dihitung", "Deviations counted"),
    "breach_rate": ("Tingkat pelanggaran Mutu Baku", "Mutu Baku breach rate"),
    "by_kind": ("Deviasi per jenis", "Deviations by kind"),
    "cases": ("Kasus", "Cases"),
    "period_findings": ("Temuan dalam periode", "Findings in the period"),
    "every_agency": ("semua instansi", "every agency"),
    "every_step": ("semua langkah", "every step"),
    "rule_scope": ("aturan", "rule"),
    "manifest": ("Manifes", "Manifest"),
    "manifest_how": ("sha256 isi paket ini (tanpa waktu pembuatan). Periksa salinan dengan "
                     "'pantau evidence verify BERKAS'; catat nilai ini dalam LHP.",
                     "sha256 of this pack's content (without its creation time). Check a copy with "
                     "'pantau evidence verify FILE'; write this value into the audit report."),
    "created": ("Dibuat", "Created"),
}


def id_(key: str) -> str:
    """The Indonesian text of ``key``."""
    return TEXTS[key][0]


def en(key: str) -> str:
    """The English text of ``key``."""
    return TEXTS[key][1]


def both(key: str) -> str:
    """``key`` as HTML: Indonesian, then English in a quieter span (both escaped)."""
    first, second = TEXTS[key]
    return escape(first) if first == second else f'{escape(first)} <span class="en">{escape(second)}</span>'
