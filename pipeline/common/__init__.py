"""What every room of the pipeline leans on: atomic files, the text rule, content fingerprints, progress."""
