"""Texts of the head of agency's views: units side by side, the monthly report and the weekly
digest (part of :data:`dashboard.i18n.STRINGS`)."""

HEADS_STRINGS: dict[str, dict[str, str]] = {
    "units_side_by_side": {"id": "Unit layanan berdampingan", "en": "Service units side by side"},
    "units_intro": {"id": "Per SOP, unit dengan bagian tepat Mutu Baku terendah di atas; hijau: mencapai target, "
                          "merah: di bawah target. Klik judul kolom untuk mengurutkan; pilih baris untuk membuka kasus unit itu.",
                    "en": "Per SOP, the units with the lowest share within Mutu Baku first; green: on target, red: "
                          "below target. Click a column header to sort; pick a row to open that unit's cases."},
    "open_unit_cases": {"id": "Kasus {unit} ({sop})", "en": "Cases of {unit} ({sop})"},
    "on_time_count": {"id": "Tepat Mutu Baku (n dari N)", "en": "Within Mutu Baku (n of N)"},
    "target": {"id": "Target", "en": "Target"},
    "target_met": {"id": "✓ tercapai", "en": "✓ met"},
    "target_missed": {"id": "✗ di bawah target", "en": "✗ below target"},
    "all_sops": {"id": "Semua SOP", "en": "All SOPs"},
    "overdue": {"id": "Terlambat", "en": "Overdue"},
    "report_title": {"id": "Laporan bulanan Mutu Baku", "en": "Monthly Mutu Baku report"},
    "report_headline": {"id": "Bulan ini terhadap target", "en": "This month against target"},
    "report_below_target": {"id": "{n} SOP di bawah target tepat Mutu Baku: {sops}.",
                            "en": "{n} SOP(s) below the on-time target: {sops}."},
    "report_all_on_target": {"id": "Semua SOP mencapai target tepat Mutu Baku.",
                             "en": "Every SOP reached its on-time target."},
    "report_breached_cases": {"id": "{n} dari {of} kasus selesai melanggar Mutu Baku.",
                              "en": "{n} of {of} closed cases breached Mutu Baku."},
    "report_trend": {"id": "Tren 12 bulan (bulan awal kasus)", "en": "Trend over 12 months (month of case start)"},
    "report_worst_steps": {"id": "Lima langkah dengan pelanggaran terbanyak", "en": "The five steps with the most breaches"},
    "report_worst_lanes": {"id": "Lima lane dengan tingkat pelanggaran tertinggi",
                           "en": "The five lanes with the highest breach rate"},
    "report_more_units": {"id": "… dan {n} unit lainnya (di dasbor).", "en": "… and {n} more units (on the dashboard)."},
    "report_late_now": {"id": "Kasus terbuka yang terlambat sekarang: {n}", "en": "Open cases late now: {n}"},
    "report_none_late": {"id": "Tidak ada kasus terbuka yang terlambat.", "en": "No open case is late."},
    "report_facts": {"id": "Data s.d. {as_of} ({zone}) · analisis run {run} · dibuat {created}",
                     "en": "Data as of {as_of} ({zone}) · analysis run {run} · made {created}"},
    "report_method": {"id": "Angka sama dengan dasbor Pantau untuk instansi dan bulan ini (kasus menurut hari awalnya, "
                             "langkah menurut hari selesainya; kasus terbuka dinilai pada waktu data s.d.). Tepat Mutu "
                             "Baku: kasus selesai tanpa langkah yang melanggar Mutu Baku waktu dan dalam standar pelayanan.",
                      "en": "The figures equal the Pantau dashboard's for this agency and month (cases by their first "
                            "day, steps by the day they were completed; open cases judged at the as-of time). Within "
                            "Mutu Baku: closed cases with no step breaking its time standard and within the service standard."},
    "report_download": {"id": "Laporan bulanan (PDF)", "en": "Monthly report (PDF)"},
    "report_download_html": {"id": "Laporan bulanan (HTML)", "en": "Monthly report (HTML)"},
    "report_month": {"id": "Bulan laporan", "en": "Report month"},
    "report_needs_agency": {"id": "Pilih satu instansi di sisi kiri untuk mengunduh laporan bulanannya.",
                            "en": "Choose one agency on the left to download its monthly report."},
    "digest_subject": {"id": "Pantau · ringkasan mingguan · {agency} · {period}",
                       "en": "Pantau · weekly digest · {agency} · {period}"},
    "digest_intro": {"id": "Ringkasan mingguan Mutu Baku untuk {agency}, {period}.",
                     "en": "Weekly Mutu Baku digest for {agency}, {period}."},
    "digest_late_first": {"id": "Perlu perhatian sekarang", "en": "Needs attention now"},
    "digest_week": {"id": "Minggu ini", "en": "This week"},
}
