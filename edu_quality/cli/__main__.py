"""``python -m edu_quality.cli``: the ``edu-quality`` command."""

import sys

from . import main

sys.exit(main())
