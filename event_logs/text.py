"""Text normalisation shared by column recognition and activity matching."""

from __future__ import annotations

import re

from sop_models.names import norm_label  # one normal form for labels and step names

__all__ = ["norm_label", "norm_name"]


def norm_name(name: str) -> str:
    """Lower case, letters and digits only (``'No. Registrasi'`` -> ``'noregistrasi'``)."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())
