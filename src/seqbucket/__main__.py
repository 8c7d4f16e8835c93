"""``python -m seqbucket`` is the same as the ``seqbucket`` command."""

import sys

from seqbucket.cli import main

sys.exit(main())
