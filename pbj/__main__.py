"""`python -m pbj` runs the same command line as the `pbj` script."""

from pbj.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
