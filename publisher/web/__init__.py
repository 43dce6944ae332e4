"""`publisher serve`: the output folder over HTTP and the subscription forms."""
