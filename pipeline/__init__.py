"""discogs-site: publish Discogs collections as a static site through a Dagster pipeline."""

import logging

__version__ = "0.1.0"

# oauthlib and requests-oauthlib log signed parameters and Authorization headers at DEBUG
# level; those carry access tokens (and, with PLAINTEXT, the secrets themselves). Keep them
# quiet even when an operator turns on debug logging for everything else.
for _noisy in ("oauthlib", "requests_oauthlib"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
