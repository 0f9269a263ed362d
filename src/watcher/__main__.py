"""`python -m watcher` runs the `watcher` command."""

from watcher.cli import main

main()
