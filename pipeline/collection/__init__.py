"""A user's collection: its sync (`sync`), Discogs items as typed rows (`rows`), the files they are kept in (`store`),
the owner's choices applied (`published`), formats, value and wants."""
