"""Acceptance checkers a reader's eye would apply to everything publisher writes: links
that resolve (`links`), and text in the page's own script with no English (`scripts`)."""
