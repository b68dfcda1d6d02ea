"""Discogs' monthly masters dump, imported into the master cache every user shares."""
