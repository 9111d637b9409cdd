"""French dates and times as participants read them: Europe/Paris whatever the machine's time
zone, « 1er » for the first of a month, and the right hour on the nights the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from workbench.format import date_fr, time_fr

NBSP = "\u00a0"


def h(text: str) -> str:
    """Write the expected text with plain spaces around « h »."""
    return text.replace(" h ", f"{NBSP}h{NBSP}")


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2026, 12, 1, 9, 5, tzinfo=UTC), "1er décembre 2026 à 10 h 05"),
    (datetime(2026, 12, 2, 9, 5, tzinfo=UTC), "2 décembre 2026 à 10 h 05"),
    (datetime(2026, 1, 31, 13, 0, tzinfo=UTC), "31 janvier 2026 à 14 h 00"),
    # 23:30 in Paris on New Year's Eve is 22:30 UTC: still 31 December, still 2026
    (datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "31 décembre 2026 à 23 h 30"),
    # ... and half an hour later in Paris it is the next year, though UTC is still in 2026
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "1er janvier 2027 à 0 h 30"),
    # spring forward, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC)
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29 mars 2026 à 1 h 30"),
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "29 mars 2026 à 3 h 30"),
    # fall back, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC), so
    # 02:30 happens twice, an hour apart
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 octobre 2026 à 2 h 30"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 octobre 2026 à 2 h 30"),
    (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "25 octobre 2026 à 3 h 30"),
])
def test_date_fr(moment, expected):
    assert date_fr(moment) == h(expected)


def test_a_naive_moment_is_read_as_utc_and_another_zone_is_converted():
    assert date_fr(datetime(2026, 7, 14, 8, 0)) == h("14 juillet 2026 à 10 h 00")
    tokyo = timezone(timedelta(hours=9))
    assert date_fr(datetime(2026, 7, 14, 17, 0, tzinfo=tokyo)) == h("14 juillet 2026 à 10 h 00")


def test_date_without_time_and_time_alone():
    moment = datetime(2027, 3, 1, 7, 9, tzinfo=UTC)
    assert date_fr(moment, with_time=False) == "1er mars 2027"
    assert time_fr(moment) == h("8 h 09")


def test_every_month_has_its_french_name():
    names = [date_fr(datetime(2026, m, 15, 12, tzinfo=UTC), with_time=False).split()[1]
             for m in range(1, 13)]
    assert names == ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                     "septembre", "octobre", "novembre", "décembre"]
