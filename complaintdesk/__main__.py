"""``python -m complaintdesk``: the same as the ``complaintdesk`` command."""

import sys

from complaintdesk.cli.main import main

sys.exit(main())
