"""Words for codes, shared by the CSV exports and the client's record."""

from __future__ import annotations

from continuum.measures.instruments import INSTRUMENTS


def band_label(instrument: str, band: str) -> str:
    """The severity band's label ("Moderately severe"), or the stored code if unknown."""
    inst = INSTRUMENTS.get(instrument)
    if inst is None or not band:
        return band
    return next((b.label for b in inst.bands if b.name == band), band)


def instrument_name(code: str) -> str:
    inst = INSTRUMENTS.get(code)
    return inst.name if inst is not None else code
