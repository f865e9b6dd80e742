"""Phoenix test suite."""
