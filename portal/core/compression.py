"""Pages, files and streams gzipped by zlib-ng (its Python bindings mirror the standard
library's gzip and zlib), not by the standard library's zlib.

Measured on this VM (6 Dec 2026): the standard library's gzip.compress spends about 54 µs
on any body however small (setting up and dropping its compressor), and 70-110 µs on an
8 KB dashboard and 140 µs on a 24 KB report at level 6; zlib-ng spends 6.5 µs on a small
body, 41-44 µs on the dashboard and 88 µs on the report, for 1.2-1.4% more bytes at the
same level (40 bytes of the dashboard's 2.8 KB)."""
import types

import flask_compress.flask_compress as flask_compress_module
from zlib_ng import gzip_ng, zlib_ng

# What the report's CSV streams through (expenses.views), as Flask-Compress's gzip does.
compressobj = zlib_ng.compressobj
DEFLATED = zlib_ng.DEFLATED


def use_zlib_ng():
    """Flask-Compress compresses through a module-level namespace of the standard
    library's modules (`compression`): rebind that name of its module to one with
    zlib-ng's in their place. Every Flask-Compress user in the process then gzips through
    zlib-ng (the app is the only one here); the standard library's modules themselves are
    untouched. Should Flask-Compress stop reading that name, tests/test_budgets.py's test
    of zlib-ng's bytes fails wherever the standard zlib makes other bytes (as on Debian's
    and this machine's)."""
    standard = flask_compress_module.compression
    if getattr(standard, "gzip", None) is gzip_ng:
        return
    flask_compress_module.compression = types.SimpleNamespace(
        gzip=gzip_ng, zlib=zlib_ng, zstd=standard.zstd)
