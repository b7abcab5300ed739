"""Extractors by input kind: an HTML page's body and metadata, XML feeds, plain-text mastheads."""
