"""The dashboard's texts for auditors: accepting deviations and evidence packs (part of
:data:`dashboard.i18n.STRINGS`; Bahasa Indonesia first, English second)."""

from __future__ import annotations

AUDITOR_STRINGS: dict[str, dict[str, str]] = {
    "accept_finding": {"id": "Terima deviasi kasus ini (auditor)", "en": "Accept a deviation of this case (auditor)"},
    "accept_which": {"id": "Temuan", "en": "Finding"},
    "accept_reason": {"id": "Alasan (wajib; tercatat)", "en": "Reason (required; recorded)"},
    "accept_until": {"id": "Berlaku sampai (opsional)", "en": "Valid until (optional)"},
    "accept_button": {"id": "Terima deviasi", "en": "Accept deviation"},
    "accept_done": {"id": "Penerimaan #{id} tercatat: temuannya tetap terlihat tetapi tidak dihitung lagi.",
                    "en": "Acceptance #{id} recorded: its findings stay visible but no longer count."},
    "accept_rule": {"id": "Terima satu jenis deviasi sebagai aturan (auditor)", "en": "Accept a deviation kind as a rule (auditor)"},
    "accept_rule_note": {"id": "Setiap temuan jenis ini pada SOP {sop}, dipersempit oleh langkah, instansi, unit dan periode filter, tetap terlihat tetapi tidak dihitung.",
                         "en": "Every finding of this kind in the SOP {sop}, narrowed by step, agency, the filter's unit and period, stays visible but no longer counts."},
    "accept_every_agency": {"id": "Semua instansi", "en": "Every agency"},
    "accept_every_step": {"id": "Semua langkah", "en": "Every step"},
    "accept_rule_period": {"id": "Periode dari filter: {start} – {end} (hari pertama kasus)",
                           "en": "Period from the filter: {start} – {end} (the case's first day)"},
    "accepted_col": {"id": "Diterima", "en": "Accepted"},
    "accepted_mark": {"id": "Diterima #{id}", "en": "Accepted #{id}"},
    # no leading "+": a caption is Markdown, and "+ " starts a list
    "deviations_accepted_note": {"id": "{n} lagi diterima auditor (terlihat, tidak dihitung)",
                                 "en": "{n} more accepted by an auditor (shown, not counted)"},
    "acceptances_title": {"id": "Deviasi yang diterima", "en": "Accepted deviations"},
    "acc_covers": {"id": "Mencakup", "en": "Covers"},
    "acc_by": {"id": "Oleh", "en": "By"},
    "acc_until": {"id": "Sampai", "en": "Until"},
    "acc_findings": {"id": "Temuan", "en": "Findings"},
    "acc_rule": {"id": "aturan", "en": "rule"},
    "evidence_title": {"id": "Paket bukti", "en": "Evidence pack"},
    "evidence_html": {"id": "Unduh paket bukti (HTML)", "en": "Download the evidence pack (HTML)"},
    "evidence_pdf": {"id": "Unduh paket bukti (PDF)", "en": "Download the evidence pack (PDF)"},
    "evidence_note": {"id": "Satu berkas mandiri yang terbuka tanpa jaringan, dengan manifes sha256 isinya: periksa salinannya dengan 'pantau evidence verify BERKAS'.",
                      "en": "One self-contained file that opens offline, with a manifest holding its content's sha256: check a copy with 'pantau evidence verify FILE'."},
    "evidence_period_needs": {"id": "Pilih instansi di filter untuk paket bukti SOP × instansi × periode.",
                              "en": "Choose an agency in the filters for an SOP × agency × period evidence pack."},
    "evidence_period_note": {"id": "Paket bukti SOP × instansi × periode: kasus yang dimulai {start} – {end}.",
                             "en": "SOP × agency × period evidence pack: cases starting {start} – {end}."},
    "case_as_of": {"id": "Dinilai per {as_of} · run analisis {run} · model {sha}",
                   "en": "Judged as of {as_of} · analysis run {run} · model {sha}"},
}
