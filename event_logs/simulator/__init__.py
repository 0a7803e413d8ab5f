"""Simulated JKN enrolment event logs with injected ground truth (the demo database).

Public API::

    from event_logs.simulator import simulate
    result = simulate("data/demo.duckdb", cases=100_000, seed=7)

Modules, one concept each: ``config`` (volumes, units, lanes, odds, seasonality), ``names``
(staff names), ``clock`` (working-minute clock <-> wall clock), ``standards`` (a step's Mutu
Baku in comparable units), ``arrivals`` (seasonal arrivals), ``paths`` (a case's path
through the flow tree), ``deviations`` (injected deviations and their truth), ``population``
(cases, attributes, NIK hashes), ``lanes`` and ``engine`` (the simpy simulation), ``truth``
(Mutu Baku breaches), ``assemble`` (records -> rows), ``writer`` (the store), ``run``
(:func:`simulate`).
"""

from event_logs.simulator.config import LaneConfig, SimConfig, SopConfig
from event_logs.simulator.run import SimulationResult, simulate

__all__ = ["LaneConfig", "SimConfig", "SimulationResult", "SopConfig", "simulate"]
