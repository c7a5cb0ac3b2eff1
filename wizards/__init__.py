from . import gis_zhkh_operation_wizard
from . import helpdesk_request_journal
from . import helpdesk_service_interruption_report
