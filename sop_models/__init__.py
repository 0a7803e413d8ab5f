"""SOP documents to reference process models.

Public API::

    from sop_models import load_all, get_model, parse_waktu
    models = load_all()            # every curated SOP model, typed
    m = get_model("batam-dinkes-integrasi-jkn")
    problems = check_model(m)      # fast checks, [] when the model is usable
"""

from sop_models.checks import check_model
from sop_models.loader import get_model, load_all, load_model
from sop_models.model import Bound, Conventions, SopModel, Step, Waktu
from sop_models.waktu import parse_waktu

__all__ = [
    "Bound", "Conventions", "SopModel", "Step", "Waktu",
    "check_model", "get_model", "load_all", "load_model", "parse_waktu",
]
