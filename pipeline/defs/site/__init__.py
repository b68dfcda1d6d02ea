"""The published site: every user's staged pages assembled into the output folder, once per batch of refreshes."""
