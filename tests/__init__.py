from . import test_backend
from . import test_deadlines
from . import test_import
from . import test_import_faults
from . import test_security
from . import test_views
from . import test_max_conversation
