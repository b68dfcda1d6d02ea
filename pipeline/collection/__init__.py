"""A user's collection: Discogs items as typed rows (`rows`) and the files they are kept in (`store`)."""
