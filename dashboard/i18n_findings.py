"""Texts of the findings a head and an auditor read (issues 12 and 15): as of when, which cases
a count covers, targets, the trend, the bottleneck and the exports. Merged into
:data:`dashboard.i18n.STRINGS` (Bahasa Indonesia first, English second)."""

from __future__ import annotations

FINDINGS: dict[str, dict[str, str]] = {
    # as of when (every page header, export and document)
    "as_of_caption": {"id": "Keadaan per {parts}", "en": "As of {parts}"},
    "as_of_part": {"id": "{moment} · run {run}", "en": "{moment} · run {run}"},
    "as_of_help": {"id": "Kasus yang masih berjalan dinilai pada saat ini (akhir hari terakhir yang diimpor, "
                         "atau 'pantau analyze --as-of').",
                   "en": "Cases still running are judged at this moment (the end of the last imported day, "
                         "or 'pantau analyze --as-of')."},
    "untimed_cases": {"id": "{n} kasus dari log tanpa waktu: urutannya diperiksa, Mutu Baku-nya tidak terukur",
                      "en": "{n} cases from a log without times: their order is checked, their Mutu Baku is "
                            "not measurable"},
    "untimed_period": {"id": "{n} kasus dari log tanpa waktu tidak punya tanggal, jadi tidak termasuk periode "
                             "yang dipilih (Mutu Baku tidak terukur)",
                       "en": "{n} cases from a log without times have no date, so the chosen period leaves "
                             "them out (Mutu Baku not measurable)"},
    "untimed_help": {"id": "Log yang tidak mencatat waktu (hanya urutan kegiatan) diperiksa kepatuhan urutannya "
                           "terhadap SOP; langkahnya berstatus 'Tidak terukur', bukan tepat waktu atau terlambat, "
                           "dan kasusnya tidak dihitung dalam persentase tepat waktu.",
                     "en": "A log that records no times (only the order of activities) is checked for "
                           "conformance with the SOP; its steps have the status 'Not measurable', neither on "
                           "time nor late, and its cases do not count in the on-time share."},
    "timeline_untimed": {"id": "Log kasus ini tidak mencatat waktu: urutan langkahnya ada di bawah, lamanya tidak "
                               "terukur.",
                         "en": "This case's log records no times: the order of its steps is below, their "
                               "durations are not measurable."},
    "late_since": {"id": "terlambat sejak {moment}", "en": "late since {moment}"},
    "due_at": {"id": "tenggat {moment}", "en": "due {moment}"},
    # which cases a figure covers
    "scope_closed": {"id": "kasus selesai", "en": "closed cases"},
    "scope_open": {"id": "kasus berjalan", "en": "open cases"},
    "scope_all": {"id": "semua kasus", "en": "all cases"},
    "n_of_scope": {"id": "{count} · {scope}", "en": "{count} · {scope}"},
    "cases_scope": {"id": "{closed} selesai · {open} masih berjalan",
                    "en": "{closed} closed · {open} still running"},
    "deviations_closed_help": {"id": "Deviasi pada kasus selesai. Kasus yang masih berjalan dinilai sejauh ini "
                                     "dan dihitung terpisah.",
                               "en": "Deviations of closed cases. Cases still running are judged so far and "
                                     "counted apart."},
    "deviations_open": {"id": "Deviasi sejauh ini (kasus berjalan)", "en": "Deviations so far (open cases)"},
    "deviating_cases_scope": {"id": "Daftar di bawah: {scope}.", "en": "The list below: {scope}."},
    "case_scope": {"id": "Kasus", "en": "Cases"},
    "scope_choice_closed": {"id": "Selesai", "en": "Closed"},
    "scope_choice_open": {"id": "Masih berjalan (sejauh ini)", "en": "Still running (so far)"},
    "scope_choice_all": {"id": "Semua", "en": "All"},
    "variant_open": {"id": "masih berjalan", "en": "still running"},
    "variant_open_note": {"id": "Varian bertanda “masih berjalan”: kasusnya belum sampai akhir SOP; dinilai "
                                "sejauh ini (langkah yang masih akan datang bukan deviasi).",
                          "en": "Variants marked “still running”: their cases have not reached an end of the "
                                "SOP; judged so far (steps still to come are no deviation)."},
    "so_far_conformant": {"id": "sesuai sejauh ini", "en": "conformant so far"},
    "so_far_deviating": {"id": "menyimpang sejauh ini", "en": "deviating so far"},
    "running": {"id": "Berjalan", "en": "Running"},
    "running_so_far": {"id": "Berjalan (sejauh ini)", "en": "Running (so far)"},
    "elapsed_so_far": {"id": "Berjalan (sejauh ini)", "en": "Elapsed so far"},
    "elapsed_so_far_help": {"id": "Kasus masih berjalan: waktu dari kegiatan pertama sampai kegiatan terakhir sejauh ini, "
                                  "bukan waktu penyelesaian.",
                            "en": "The case is still running: time from its first event to its latest so far, not "
                                  "a throughput time."},
    "fitness_so_far": {"id": "Fitness sejauh ini", "en": "Fitness so far"},
    "alignment_so_far_note": {"id": "Fitness sejauh ini {fitness} ({status}): kasus masih berjalan, langkah yang "
                                    "masih akan datang bukan deviasi.",
                              "en": "Fitness so far {fitness} ({status}): the case is still running; steps still "
                                    "to come are no deviation."},
    "case_open_late_note": {"id": "Kasus masih berjalan. Langkah saat ini: {step}; sisa waktu {remaining} "
                                  "({status}; {when}).",
                            "en": "The case is still running. Current step: {step}; {remaining} remaining "
                                  "({status}; {when})."},
    "aligned_word": {"id": "selaras", "en": "aligned"},
    # targets and the trend
    "target": {"id": "Target", "en": "Target"},
    "target_line": {"id": "Target {share}", "en": "Target {share}"},
    "target_source_agency": {"id": "target instansi", "en": "agency's target"},
    "target_source_sop": {"id": "target SOP", "en": "SOP's target"},
    "target_source_model": {"id": "dari model SOP", "en": "from the SOP model"},
    "target_source_default": {"id": "bawaan", "en": "default"},
    "target_help": {"id": "Target porsi tepat Mutu Baku: {share} ({source}). Hijau: mencapai target; merah: di bawah.",
                    "en": "Target share within Mutu Baku: {share} ({source}). Green: meets it; red: below."},
    "vs_target": {"id": "{delta} poin dari target {target}", "en": "{delta} points from the {target} target"},
    "trend_note": {"id": "Per bulan selesai (kasus yang selesai dalam bulan itu); garis putus: target per SOP. "
                         "Bulan {month} belum lengkap (keadaan per {as_of}).",
                   "en": "By month of completion (the cases closed in that month); dashed: each SOP's target. "
                         "{month} is incomplete (as of {as_of})."},
    "trend_note_complete": {"id": "Per bulan selesai (kasus yang selesai dalam bulan itu); garis putus: target per SOP.",
                            "en": "By month of completion (the cases closed in that month); dashed: each SOP's target."},
    "cases_closed_in_month": {"id": "Kasus selesai", "en": "Cases closed"},
    "incomplete_month": {"id": "belum lengkap", "en": "incomplete"},
    "meets_target": {"id": "mencapai target", "en": "meets target"},
    "below_target": {"id": "di bawah target", "en": "below target"},
    # the bottleneck
    "bottleneck": {"id": "Hambatan utama", "en": "Main bottleneck"},
    "bottleneck_callout": {"id": "**{sop}**: langkah {step} ({lane}) menambah {hours} jam kerja di atas Mutu Baku "
                                 "pada {cases} kasus.",
                           "en": "**{sop}**: step {step} ({lane}) adds {hours} working hours beyond the Mutu Baku "
                                 "in {cases} cases."},
    "bottleneck_none": {"id": "Tidak ada langkah yang melewati Mutu Baku dalam filter ini.",
                        "en": "No step went beyond its Mutu Baku in these filters."},
    "bottleneck_help": {"id": "Langkah yang paling banyak menambah waktu kerja di atas standarnya: jam kerja sejak "
                              "langkah jatuh tempo (batas waktu atau tenggat tanggal) sampai selesai, dijumlah "
                              "per langkah (docs/mutu-baku.md, \"Bottleneck\").",
                        "en": "The step adding the most working time beyond its standard: working hours from the "
                              "moment a step fell due (its bound or its day deadline) to its completion, summed per "
                              "step (docs/mutu-baku.md, \"Bottleneck\")."},
    "excess_hours": {"id": "Jam kerja di atas Mutu Baku", "en": "Working hours beyond Mutu Baku"},
    # exports
    "export_note_all": {"id": "Ekspor memuat semua baris dalam filter, dengan run, keadaan per, nomor dan revisi SOP, "
                              "dan checksum model di setiap baris.",
                        "en": "Exports hold every row in the filters, with the run, the as-of, the SOP number and "
                              "revision and the model checksum on every row."},
    "export_breaches": {"id": "Ekspor untuk auditor", "en": "Export for auditors"},
    "download_breaches_csv": {"id": "Unduh pelanggaran (CSV)", "en": "Download breaches (CSV)"},
    "download_breaches_xlsx": {"id": "Unduh pelanggaran (Excel)", "en": "Download breaches (Excel)"},
    "download_late_csv": {"id": "Unduh kasus terlambat (CSV)", "en": "Download late cases (CSV)"},
    "download_late_xlsx": {"id": "Unduh kasus terlambat (Excel)", "en": "Download late cases (Excel)"},
}
