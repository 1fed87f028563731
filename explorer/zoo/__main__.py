"""`python -m explorer.zoo list | build NAME... | build --all`: see explorer/zoo/cli.py.

The command lives in cli.py so that `zoo.main` can be imported without this file, which Python
runs as __main__ and would otherwise find already imported (and warn).
"""
import sys

from explorer.zoo.cli import main

sys.exit(main())
