"""Numbers over collections with Polars: one collection's stats, and what public collectors share."""
