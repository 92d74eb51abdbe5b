"""``python -m nbwarden.agent.execgate``: :func:`nbwarden.agent.execgate.cli.main`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
