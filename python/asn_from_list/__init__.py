"""Build JWST pipeline association files, fast: jwst's ``asn_from_list`` function, and the
associations and checks of the ``asn-from-list`` command, from Python."""

from ._native import __version__

__all__ = ["__version__"]
