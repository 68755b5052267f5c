"""Project-wide pytest configuration (fixtures live in continuum/testing/)."""
