"""Plain-Python parts of the addon: GIS ZhKKh protocol, client, signer, fake.

Nothing here imports Odoo, so that these modules are tested without a
database and run on their own (``python3 -m tools.fake_gis``).
"""
