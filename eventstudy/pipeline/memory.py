"""The in-memory engine: the whole (N, T) event-time panel at once (fastest for studies that fit)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..eventtime import build_panel
from ..groups import define_groups
from ..results import assemble
from .estimate import estimate, event_rows, params_frame
from .executors import Execution
from .infer import BatteryInputs, infer, tests_frame
from .prepare import Prepared, exclude_short, no_member_left


def fit_memory(spec, prepared: Prepared, execution: Execution):
    """Estimate every member of a prepared study at once and run the battery of every group.

    Parameters
    ----------
    spec
        The :class:`~eventstudy.EventStudy`.
    prepared
        Its :func:`~eventstudy.pipeline.prepare.prepare` output.
    execution
        The execution options (recorded in the results).

    Returns
    -------
    EventStudyResults
    """
    plan, members = prepared.plan, prepared.members
    panel = build_panel(prepared.rows, members, plan.taus, market=plan.market, factors=plan.factors,
                        kind=plan.returns)
    e = estimate(plan, members, panel, prepared.window_days)
    del panel  # the estimate holds the panel of the members it kept
    if not e.keep.any():
        raise no_member_left(plan, e.short)
    members = e.panel.members
    car = e.car
    car.insert(0, "member", np.tile(np.arange(len(members)), len(plan.windows)))
    evt, params, fitted, short = event_rows(plan, e), params_frame(plan, e), np.flatnonzero(e.keep), e.short
    # what the batteries do not read goes before their inputs are made: the normal returns and the
    # returns (kept for the event windows in evt), the sessions spanned (in the CAR table's status)
    e.normal = None
    e.panel = dataclasses.replace(e.panel, ret=None, spans=None)
    inputs = BatteryInputs(plan, e)
    del e  # the (N, T) panel, fit and ARs: the batteries read their own inputs
    prepared.rows.memo.clear()  # the per-row arrays the panel read: not kept with the results
    groups = define_groups(members, plan.group, by_event=plan.by_event, by_asset=plan.by_asset)
    tests = tests_frame(infer(plan, inputs, groups, progress=execution.progress))
    return assemble(spec, prepared, fitted, exclude_short(prepared, short), params, car, tests, evt,
                    execution.record())
