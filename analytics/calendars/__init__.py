"""Calendar override files (``*.yaml`` here) and their loader (:mod:`.overrides`).

A package so the override files ship with Pantau; the format is documented at the top of
``national.yaml`` and in ``docs/mutu-baku.md`` ("Working calendar").
"""
