"""``python -m danlu`` runs the ``danlu`` command."""
import sys

from .cli import main

sys.exit(main())
