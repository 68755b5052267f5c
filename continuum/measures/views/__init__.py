"""Measures views, split by area: the clinical record, administrations, alerts, public links."""
