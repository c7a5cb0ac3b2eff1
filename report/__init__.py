from . import request_journal_xlsx
from . import request_journal_pdf
