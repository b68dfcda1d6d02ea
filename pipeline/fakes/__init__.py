"""Stand-ins for Discogs, for the tests, the benchmarks and the demo: a fake API, generated worlds and dumps.

Shipped because `discogs-site demo` (pipeline.demo), `fake-discogs` and `masters-dump generate` need them; the
pipeline itself never imports them (a test checks that loading the code location and every production module
leaves them out).
"""
