"""Everything that speaks HTTP to Discogs: the client, the shared rate limit, OAuth, the answers' shapes.

The fake API it is tested against lives in pipeline.fakes; the tokens it sends in pipeline.accounts.
"""
