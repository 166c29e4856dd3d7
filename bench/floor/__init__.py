"""The floor: a bare Django view under the same gunicorn settings as Pond.

Every page figure is reported as a ratio to this one, measured in the same run, so
that the numbers mean something on a noisy, shared machine.
"""
