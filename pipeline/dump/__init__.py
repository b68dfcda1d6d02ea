"""Discogs' monthly masters data dump: its names and URLs, a generator, a streaming reader, the import."""
