"""subsidy-watcher."""
