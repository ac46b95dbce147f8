"""The benchmark: clean corpora, an independent spinner, metrics and the runner."""
