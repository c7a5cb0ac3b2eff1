from . import gis_appeal_theme
from . import gis_zhkh_backend
from . import gis_zhkh_house
from . import gis_zhkh_message
from . import helpdesk_ticket
from . import res_partner
