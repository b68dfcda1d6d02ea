"""`python -m pipeline.cli`, as the tests and the workflow run it."""

import sys

from pipeline.cli import main

sys.exit(main())
