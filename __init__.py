from . import controllers
from . import models
from . import report
from . import wizards
from .hooks import read_other_modules_code_terms

read_other_modules_code_terms()
