"""Master releases: the cache every user shares (`cache`) and enrichment through the API (`enrich`)."""
