"""Everything that speaks HTTP to Discogs: credentials, the client, the shared rate limit, OAuth, the fake API."""
