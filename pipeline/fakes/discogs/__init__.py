"""A fake api.discogs.com for tests, benchmarks and the demo: real HTTP on loopback, Discogs' shapes."""

from pipeline.fakes.discogs.generator import Catalog, add_generated_items, generate_world, parse_spec
from pipeline.fakes.discogs.replay import load_world
from pipeline.fakes.discogs.server import FakeDiscogs
from pipeline.fakes.discogs.world import FAKE_CONSUMER_KEY, FAKE_CONSUMER_SECRET, World, personal_token_for

__all__ = [
    "FAKE_CONSUMER_KEY", "FAKE_CONSUMER_SECRET", "Catalog", "FakeDiscogs", "World", "add_generated_items",
    "generate_world", "load_world", "parse_spec", "personal_token_for",
]
