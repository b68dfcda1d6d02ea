"""The runs of `discogs-site build` and what watches them: the build, its workers and display, the refresh
without a run, the Dagster instance the command line uses, failures in one line, `status`."""
