"""Dagster wiring only: partitions, resources, assets and checks, schedules. Logic lives below it."""
