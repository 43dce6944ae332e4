"""publisher: daily Chinese news batches to Atom feeds, pages and a mail digest in both scripts."""

__version__ = "0.1.0"
