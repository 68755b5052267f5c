"""Measurement-based care: the instrument catalogue, scoring, outcomes and trajectories."""
