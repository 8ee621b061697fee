"""The packaged program's entry point: the `segdesk` command (and, with no command, the window)."""

import sys

from segdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
