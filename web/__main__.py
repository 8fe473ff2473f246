"""`python -m web`: the web application as its own service (the same as `pbj web`)."""

import sys

from web.server import run

if __name__ == "__main__":
    sys.exit(run())
