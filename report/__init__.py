from . import request_journal_xlsx
from . import request_journal_pdf
from . import interruption_month_xlsx
