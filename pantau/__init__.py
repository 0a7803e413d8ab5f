"""Pantau: process mining and Mutu Baku (SLA) compliance for JKN enrolment SOPs.

The library lives in four packages (``sop_models``, ``event_logs``, ``analytics``,
``dashboard``); this package is the shared base they all may import (the version, the
exception tree, the settings file) and imports none of them. The command-line shell is the
separate package ``pantau_cli``, imported by nothing else.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pantau")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
