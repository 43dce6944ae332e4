"""Running it: the daily run, the daemon, the store lock and signal handling."""
