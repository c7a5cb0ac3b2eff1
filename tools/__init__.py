"""Plain-Python parts of the addon: the GIS ZhKKh protocol, its clients and
signer, the MAX client and update parser, the deadline calculator, the bot's
conversation steps.

Nothing here imports Odoo, so that these modules are tested without a
database (``tests/plain``). The fakes of GIS ZhKKh and MAX that the tests and
the demo run are test support, in ``tests/fakes``.
"""
