"""``python -m sessionjar``: the same as the ``sessionjar`` command."""

from __future__ import annotations

import sys

from sessionjar.cli import main

sys.exit(main())
