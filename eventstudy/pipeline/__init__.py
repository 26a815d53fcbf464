"""The fit as a visible pipeline: prepare -> estimate -> infer -> results.

=================  ===========================================================================
module             step
=================  ===========================================================================
``prepare``        prices, day 0 of every (event, asset), returns, members, exclusions; the
                   picklable :class:`~eventstudy.pipeline.prepare.Plan`
``estimate``       event-time panel, clean-estimation mask, minimum-observations rule, model
                   fit, AR / CAR / BHAR, fitted parameters (all members or one block)
``infer``          the test battery per group and window
``memory``         the in-memory engine: the three steps on all members at once
``blocks``         the chunked and Dask engines: the same steps block by block
``executors``      how blocks run (:class:`~eventstudy.pipeline.executors.Execution`, one process
                   with spilled rows, or a ``dask.distributed`` cluster)
=================  ===========================================================================

Every engine ends in :func:`eventstudy.results.assemble`, so the result has one schema.
"""
