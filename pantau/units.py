"""How long a unit of a Mutu Baku Waktu is, where every layer needs the same answer.

The working day is not here: it is the agency's office hours, read from its working
calendar (``calendar_info.day_minutes``; 480 for 08:00-16:00).
"""

from __future__ import annotations

# The average month (365.25 / 12 days): a fractional "1,5 bulan" adds its fraction of it, and
# an elapsed time is reported in months as days / DAYS_PER_MONTH. Whole months are calendar
# months on the local clock.
DAYS_PER_MONTH = 30.4375
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86400

# The zone a time is shown in when nothing names one (no SOP chosen, the login page): WIB,
# where most agencies are. A model's own zone always wins.
DEFAULT_TIMEZONE = "Asia/Jakarta"

# What people call the Indonesian zones (an instant is written "31 Des 2024 24.00 WIB").
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
