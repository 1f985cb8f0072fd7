import sys

from speech_core.db.migrations import main

sys.exit(main())
