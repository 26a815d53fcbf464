"""Worked studies built on the public API only; :mod:`eventstudy.examples.us_china` is the one the
main job (``eventstudy run`` without ``--prices``) runs."""
