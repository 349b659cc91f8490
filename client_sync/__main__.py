"""``python -m client_sync`` runs the officer CLI (the same as the ``lumbung-officer`` script)."""

import sys

from .cli import main

sys.exit(main())
