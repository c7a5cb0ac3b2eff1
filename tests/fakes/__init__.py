"""Faithful fakes of the external systems, as real HTTP servers on 127.0.0.1:
GIS ZhKKh (``AppealsAsync``, the common НСИ service and the file store) and
the MAX Bot API. Test support, as OCA addons keep it under ``tests/``: the
Odoo tests, the plain tests, the benchmarks and the demo use them; the addon
itself never imports them.

They import nothing from Odoo, only the addon's plain ``tools/``. Run one on
its own (the demo does) with ``python3 tests/fakes/serve.py gis|max --help``.
"""
