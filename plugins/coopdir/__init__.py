"""coopdir: a directory of tech worker co-ops, built by Pelican from one YAML file per co-op.

This package is both the Pelican plugin (``register``) and the ``coopdir`` command. ``register``
only connects signals; the work lives in the modules it wires.
"""

from __future__ import annotations


def register() -> None:
    """Connect the directory's generator to Pelican's signals."""
    from .pelican_plugin import connect

    connect()
