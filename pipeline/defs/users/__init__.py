"""Each registered user's assets: their collection, its masters, its statistics and their staged pages."""
