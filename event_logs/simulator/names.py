"""Realistic Indonesian staff names for the resources of simulated lanes."""

from __future__ import annotations

import random

FIRST = (
    "Siti", "Budi", "Dewi", "Agus", "Sri", "Eko", "Rina", "Andi", "Nur", "Hendra", "Yuli",
    "Rudi", "Fitri", "Dedi", "Wahyu", "Ani", "Bambang", "Lestari", "Joko", "Indah", "Ahmad",
    "Ratna", "Iwan", "Mega", "Fajar", "Novi", "Rizky", "Putri", "Arif", "Maya", "Hadi", "Dian",
    "Teguh", "Evi", "Yusuf", "Wulan", "Irfan", "Sari", "Taufik", "Nining", "Muhammad", "Desi",
    "Herman", "Linda", "Syahrul", "Kartika", "Rahmat", "Yanti", "Gilang", "Erna",
)
LAST = (
    "Rahmawati", "Santoso", "Lestari", "Setiawan", "Wahyuni", "Prasetyo", "Kurniawan",
    "Hidayat", "Susanti", "Saputra", "Purnomo", "Handayani", "Nugroho", "Siregar", "Harahap",
    "Nasution", "Lubis", "Simanjuntak", "Pratama", "Hasibuan", "Permata", "Syahputra",
    "Wijaya", "Gunawan", "Suryani", "Maulana", "Ramadhan", "Fauzi", "Anggraini", "Utami",
    "Hakim", "Firmansyah", "Rusdi", "Yulianti", "Hartono", "Sembiring", "Ginting", "Tarigan",
    "Marpaung", "Sinaga", "Daulay", "Batubara", "Mahendra", "Kusuma", "Putra", "Aminah",
    "Zulkarnain", "Effendi", "Arifin", "Noor",
)


def staff_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` names not in ``taken`` (which is updated), drawn from ``rng``."""
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name in taken:
            if len(taken) >= len(FIRST) * len(LAST):  # pragma: no cover - 2,500 people
                name = f"{name} {len(taken)}"
            else:
                continue
        taken.add(name)
        names.append(name)
    return names
