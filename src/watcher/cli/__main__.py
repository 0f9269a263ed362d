"""`python -m watcher.cli` runs the `watcher` command."""

from watcher.cli import main

main()
