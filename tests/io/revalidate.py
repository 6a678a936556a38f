"""Records loaded without the constructors' shape checks, built again with every check."""

from __future__ import annotations

import attrs

from advocacy_kpis import AdvocacyData


def rebuilt_by_hand(data: AdvocacyData) -> AdvocacyData:
    """The same records through the validated constructors and `from_records`, which check everything."""
    collections = {
        name: [type(r)(**{f.name: getattr(r, f.name) for f in attrs.fields(type(r))}) for r in records]
        for name, records in data.as_collections().items()
    }
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **collections)
