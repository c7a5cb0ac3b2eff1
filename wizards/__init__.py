from . import gis_zhkh_operation_wizard
