"""``python -m complaintdesk``: the same as the ``complaintdesk`` command."""

import sys

from .cli import main

sys.exit(main())
