"""`discogs-site demo`: an application over the fake Discogs API, not part of it."""
