"""The Odoo side every benchmark starts from (import after argument parsing:
it loads Odoo)."""

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config

ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def registry_of(config_file):
    """The registry of the database the configuration file names."""
    config.parse_config(["-c", config_file])
    db_name = config["db_name"]
    return Registry(db_name[0] if isinstance(db_name, list) else db_name)


def superuser_env(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def bench_backend(env, fake_url, **values):
    """A GIS ZhKKh connection to the fake the benchmark started."""
    return env["gis.zhkh.backend"].create(
        {"name": "Bench", "endpoint_url": fake_url, "org_ppa_guid": ORG, **values}
    )
