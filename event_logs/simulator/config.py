"""Simulator settings: volumes, units, lanes, branch odds, seasonality, deviation mix.

Nothing here is a time standard: every Mutu Baku comes from the model file (``step.waktu``);
the settings below only say how work is organised around it (how many people, how often the
Kepala Dinas signs, how likely a branch is). SOPs, xor/loop ids and lanes absent from the
tables get the defaults, so any valid model can be simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

LaneMode = Literal["counter", "session", "applicant"]
LaneScope = Literal["unit", "agency"]

# Per-case deviation kinds the simulator injects (see docs/dev/SEMANTICS.md). The keys are
# injection recipes; the truth kinds they produce are listed in deviations.py.
DEFAULT_DEVIATION_WEIGHTS: dict[str, float] = {
    "skip": 1.0,             # skipped_step
    "swap": 1.0,             # wrong_order
    "approval_first": 0.6,   # wrong_order (four_eyes pair reversed)
    "rework": 1.0,           # rework
    "extra": 1.0,            # unmapped_activity
    "relabel": 0.7,          # unmapped_activity + skipped_step
    "both_branches": 0.8,    # both_branches
    "same_person": 0.7,      # same_person
    "missing_kelengkapan": 0.9,
}

EXTRA_ACTIVITIES: tuple[str, ...] = (
    "Konfirmasi via telepon",
    "Koordinasi via WhatsApp",
    "Fotokopi berkas tambahan",
    "Cek status di aplikasi",
    "Menunggu tanda tangan",
)
RELABELS: tuple[str, ...] = (
    "Proses berkas",
    "Input data (manual)",
    "Tindak lanjut permohonan",
    "Entri ulang data",
)


@dataclass(frozen=True)
class LaneConfig:
    """How one lane works.

    ``counter``: ``capacity`` people serve a FIFO queue (front office, back office).
    ``session``: each person works the in-tray only in one session per working day
    (``session_minutes`` long, starting between ``session_window`` local hours) and skips a
    day with probability ``skip_prob[person]`` (dinas luar, rapat): the Kepala Dinas signing.
    ``applicant``: the applicant does it; no staff, no queue, resource NULL.
    ``scope``: one pool per service unit, or one for the whole agency.
    ``handoff``: long standards (over ``SimConfig.handoff_threshold_wm``) are spent mostly in
    the in-tray before work starts; False keeps the person busy for the bulk of the standard
    (a real bottleneck, e.g. NIK checks).
    """

    mode: LaneMode = "counter"
    scope: LaneScope = "unit"
    capacity: int = 2
    handoff: bool = True
    session_minutes: float = 120.0
    session_window: tuple[float, float] = (9.0, 14.0)
    skip_prob: tuple[float, ...] = (0.2,)
    item_minutes: float = 1.5


@dataclass(frozen=True)
class SopConfig:
    """Per-SOP settings; every field has a default for SOPs not listed."""

    weight: float = 0.1
    case_prefix: str | None = None
    units: tuple[str, ...] = ("Kantor Pelayanan",)
    unit_weights: tuple[float, ...] | None = None
    lanes: dict[str, LaneConfig] = field(default_factory=dict)
    xor: dict[str, dict[str, float]] = field(default_factory=dict)
    loops: dict[str, float] = field(default_factory=dict)
    # xor id -> (attribute name, branch name -> value written to the case attributes)
    xor_attributes: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    # attribute name -> values drawn uniformly (e.g. the hospital of a Surat Jaminan)
    attribute_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # per-unit quantity (model.per_units): lognormal median and cap, at least 1
    quantity_median: float = 6.0
    quantity_max: int = 40
    has_nik: bool = True
    nik_region: str = "3100"
    # (first day, last day, factor): arrivals by day of month (e.g. before a Form 34 deadline)
    month_day_profile: tuple[tuple[int, int, float], ...] = ()
    applicant_days_median: float = 3.0


KEPALA = LaneConfig(mode="session", scope="agency", capacity=2, skip_prob=(0.15, 0.85),
                    session_minutes=120.0, item_minutes=1.0)
AGENCY2 = LaneConfig(scope="agency", capacity=2)
BATAM_UNITS = (
    "Puskesmas Sekupang", "Puskesmas Batu Aji", "Puskesmas Lubuk Baja", "Puskesmas Sei Panas",
    "Puskesmas Baloi Permai", "Puskesmas Botania", "Kelurahan Tanjung Riau",
    "Kelurahan Tiban Indah",
)
BATAM_LANES = {
    "Petugas Pelayanan Bantuan": LaneConfig(scope="unit", capacity=4),
    "Kepala Dinas": KEPALA,
    "BPJS Kesehatan": AGENCY2,
    "Rumah sakit mitra": AGENCY2,
}

SOPS: dict[str, SopConfig] = {
    "batam-dinkes-integrasi-jkn": SopConfig(
        weight=0.35, case_prefix="BTM-INT", units=BATAM_UNITS, lanes=BATAM_LANES,
        unit_weights=(1.4, 1.3, 1.2, 1.0, 1.0, 0.9, 0.7, 0.6),
        loops={"berkas-dikembalikan": 0.15},
        # one applicant in seven is ill and covered at once (row '3'); the file goes on all the same
        attribute_choices={"kondisi": ("sehat",) * 6 + ("sakit (status UHC)",)},
        nik_region="2171",
    ),
    "batam-dinkes-jaminan-rs": SopConfig(
        weight=0.15, case_prefix="BTM-RS", units=BATAM_UNITS, lanes=BATAM_LANES,
        unit_weights=(1.4, 1.3, 1.2, 1.0, 1.0, 0.9, 0.7, 0.6),
        loops={"berkas-dikembalikan": 0.12},
        attribute_choices={
            "rumah_sakit": ("RSUD Embung Fatimah", "RS Badan Pengusahaan Batam",
                            "RSUD Raja Ahmad Tabib", "RS Awal Bros Batam", "RS Elisabeth Batam"),
            "kondisi": ("rawat inap",),
        },
        nik_region="2171",
    ),
    "banjarbaru-dinsos-peserta-jkn": SopConfig(
        weight=0.19, case_prefix="BJB-JKN",
        units=tuple(f"Kelurahan {k}" for k in (
            "Loktabat Utara", "Loktabat Selatan", "Komet", "Mentaos", "Sungai Ulin",
            "Guntung Paikat", "Kemuning", "Guntung Manggis", "Syamsudin Noor",
            "Landasan Ulin Timur", "Landasan Ulin Barat", "Landasan Ulin Tengah",
            "Landasan Ulin Utara", "Landasan Ulin Selatan", "Guntung Payung", "Cempaka",
            "Sungai Tiung", "Bangkal", "Palam", "Sungai Besar")),
        lanes={
            "KELURAHAN": LaneConfig(scope="unit", capacity=1),
            "DINAS SOSIAL": AGENCY2,
            "BPJS KESEHATAN": AGENCY2,
            "DINAS SOSIAL DAN BPJS KESEHATAN": AGENCY2,
        },
        nik_region="6372",
    ),
    "dki-setda-jkn-wbs": SopConfig(
        weight=0.03, case_prefix="DKI-WBS",
        units=("Panti Sosial Bina Insan Bangun Daya 1", "Panti Sosial Bina Insan Bangun Daya 2",
               "Panti Sosial Bina Laras Harapan Sentosa 1",
               "Panti Sosial Bina Laras Harapan Sentosa 2",
               "Panti Sosial Bina Laras Harapan Sentosa 3",
               "Panti Sosial Tresna Werdha Budi Mulia 1"),
        lanes={
            "SATPOL PP/ APARAT YANG BERWENANG LAINNYA": LaneConfig(scope="agency", capacity=4),
            "PANTI SOSIAL": LaneConfig(scope="unit", capacity=2),
            "DINAS SOSIAL": AGENCY2,
            "DINAS DUKCAPIL": LaneConfig(scope="agency", capacity=3, handoff=False),
            "DINAS KESEHATAN": AGENCY2,
            "BPJS KESEHATAN": AGENCY2,
        },
        loops={"validasi-dinkes": 0.1},
        quantity_median=6.0, quantity_max=40,
        has_nik=False,  # a case is a group of WBS, often without documents
    ),
    "muba-dinkes-uhc-bpjs": SopConfig(
        weight=0.28, case_prefix="MUBA-UHC",
        units=("Kantor Dinas Kesehatan Sekayu", "RSUD Sekayu", "Puskesmas Sekayu",
               "Puskesmas Sungai Lilin", "Puskesmas Babat Toman", "Puskesmas Bayung Lencir"),
        unit_weights=(1.6, 1.4, 1.0, 0.9, 0.7, 0.6),
        lanes={
            "SATPAM": LaneConfig(scope="unit", capacity=1),
            "RESEPSIONIS": LaneConfig(scope="unit", capacity=2),
            "PENGGUNA LAYANAN": LaneConfig(mode="applicant"),
            "PETUGAS LAYANAN": LaneConfig(scope="unit", capacity=3),
            "BPJS KESEHATAN": LaneConfig(scope="agency", capacity=4),
            "DISDUKCAPIL": AGENCY2,
        },
        xor={
            "status-nik": {"aktif-pbi-tanpa-kis": 0.5, "perlu-penanganan": 0.5},
            "masalah-nik": {"nik-tidak-ditemukan": 0.55, "menunggak-mandiri": 0.45},
            "hasil-cek-dukcapil": {"terdaftar": 0.65, "tidak-terdaftar-atau-ganda": 0.35},
            "penyelesaian": {"diatasi-1x24-jam": 0.7, "perlu-perekaman": 0.3},
        },
        xor_attributes={
            "status-nik": ("kondisi", {"aktif-pbi-tanpa-kis": "PBI aktif tanpa KIS",
                                       "perlu-penanganan": "perlu penanganan"}),
            "masalah-nik": ("kondisi", {"nik-tidak-ditemukan": "NIK tidak ditemukan",
                                        "menunggak-mandiri": "mandiri menunggak"}),
        },
        attribute_choices={"rumah_sakit": (
            "RSUP Dr. Mohammad Hoesin Palembang", "RS Muhammadiyah Palembang",
            "RSUD Siti Fatimah Palembang", "RS Siloam Sriwijaya", "RSUD Bari Palembang")},
        nik_region="1606",
    ),
}

# Lanes not configured for an SOP: the first keyword found in the lane's name decides.
LANE_KEYWORDS: tuple[tuple[str, LaneConfig], ...] = (
    ("kepala", KEPALA),
    ("pengguna", LaneConfig(mode="applicant")),
    ("pemohon", LaneConfig(mode="applicant")),
    ("bpjs", AGENCY2),
    ("dukcapil", AGENCY2),
)

# The lane capacities above are sized for this many cases a year over all SOPs (the bundled
# weights). At that volume the busiest lanes are 52-65% busy over the year (Musi BPJS
# Kesehatan, the Batam Petugas of Puskesmas Sekupang, the Kepala Dinas, DKI Dukcapil); at
# twice the volume they are over 100% and their queues grow all year, so faster arrivals get
# proportionally more people (``capacity_scale``, ``scaled_lane``).
CAPACITY_REFERENCE_CASES = 100_000


def capacity_scale(cases: int, first: date, last: date) -> float:
    """How many times the reference yearly volume ``cases`` in [first, last] arrive at (>= 1).

    1.0 (lanes as configured) for up to ``CAPACITY_REFERENCE_CASES`` cases a year.
    """
    per_year = cases * 365.25 / ((last - first).days + 1)
    return max(1.0, per_year / CAPACITY_REFERENCE_CASES)


def scaled_lane(conf: LaneConfig, scale: float) -> LaneConfig:
    """``conf`` with ``ceil(capacity x scale)`` people, so its utilisation stays at or below
    the reference volume's; a session lane repeats its skip pattern (more signers, each with
    the skip odds of the person they double). Unchanged when ``scale`` <= 1."""
    if scale <= 1.0 or conf.mode == "applicant" or conf.capacity < 1:
        return conf
    capacity = math.ceil(conf.capacity * scale - 1e-9)
    skips = conf.skip_prob
    skip_prob = tuple(skips[min(k % conf.capacity, len(skips) - 1)] for k in range(capacity))
    return replace(conf, capacity=capacity, skip_prob=skip_prob)


# Seasonality: month factors (more in January and after Lebaran, fewer in December).
MONTH_FACTORS = {1: 1.3, 2: 1.1, 3: 1.05, 4: 1.0, 5: 1.05, 6: 1.0, 7: 1.1, 8: 1.0,
                 9: 1.0, 10: 1.0, 11: 0.95, 12: 0.7}
WEEKDAY_FACTORS = (1.25, 1.1, 1.0, 0.95, 0.75, 0.0, 0.0)  # Friday: shorter after Jumatan


@dataclass(frozen=True)
class SimConfig:
    """Global settings; ``sops`` per SOP id (missing ids get ``SopConfig()``)."""

    sops: dict[str, SopConfig] = field(default_factory=lambda: dict(SOPS))
    deviation_weights: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_DEVIATION_WEIGHTS))
    extra_activities: tuple[str, ...] = EXTRA_ACTIVITIES
    relabels: tuple[str, ...] = RELABELS
    default_lane: LaneConfig = LaneConfig()
    default_xor_first: float = 0.7       # first branch of an unconfigured choice
    default_loop_repeat: float = 0.12    # chance of one more iteration of an unconfigured loop
    max_loop_iterations: int = 4
    # processing around the Mutu Baku: median = frac x standard, lognormal sigma
    counter_frac: float = 0.42
    counter_sigma: float = 0.38
    handoff_threshold_wm: float = 60.0   # standards above this sit in the in-tray first
    handoff_frac: float = 0.35
    handoff_sigma: float = 0.55
    handoff_work_minutes: float = 8.0   # hands-on time after the in-tray wait (median)
    no_standard_minutes: float = 6.0
    too_fast_share: float = 0.03         # steps with a minimum: share done too fast
    start_missing: float = 0.03          # occurrences logged without a start event
    # monthly batch steps (waktu.deadline_day)
    batch_lead_days: tuple[float, float, float] = (0.5, 0.3, 0.2)  # 0, 1, 2 days early
    batch_late_month: float = 0.03       # the batch slips past the deadline
    batch_overlooked: float = 0.02       # a case missed by this batch, done in the next
    batch_minutes: float = 75.0
    # seasonality
    month_factors: dict[int, float] = field(default_factory=lambda: dict(MONTH_FACTORS))
    weekday_factors: tuple[float, ...] = WEEKDAY_FACTORS
    ramadan_factor: float = 0.75         # the 30 days before Idul Fitri
    after_lebaran_factor: float = 1.35   # the 21 days after the Idul Fitri leave
    after_lebaran_days: int = 21
    applicant_sigma: float = 0.7
    nik_key: bytes = b"pantau-demo-nik-key-not-secret"  # fixed demo key, never for real data

    def sop(self, sop_id: str) -> SopConfig:
        """Settings for ``sop_id`` (defaults when not configured)."""
        return self.sops.get(sop_id) or SopConfig()

    def lane(self, sop_id: str, lane: str) -> LaneConfig:
        """Settings for ``lane`` of ``sop_id``: configured, else by keyword, else the default."""
        conf = self.sop(sop_id).lanes.get(lane)
        if conf is not None:
            return conf
        low = lane.lower()
        for word, kw_conf in LANE_KEYWORDS:
            if word in low:
                return kw_conf
        return self.default_lane
