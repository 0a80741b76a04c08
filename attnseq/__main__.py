import sys

from attnseq.cli import main

sys.exit(main())
