"""The static site: output paths, feeds, pages and the build that writes them."""
