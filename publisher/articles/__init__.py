"""Articles: the batch format, ingest, both scripts (conversion) and editions."""
