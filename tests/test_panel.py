"""The panel's logic (workbench.panel) on constructed panels: a lever left at its trend is
« pas d'avis », never a vote for the status quo; the consensus moves a lever only on enough
choices; the verdict reads the direction first, then the spread."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

import workbench as wb
from workbench.panel import (
    AGREE_MAX,
    CHOICE_FR,
    DOWN,
    UP,
    ballot_themes,
    consensus_values,
    direction,
    enough_expressed,
    families,
    moved_levers,
    ordered_levers,
    silhouette,
    spread,
    spreads,
    tally,
    verdict,
)
from workbench.store import Submission, Vote

# Grand Chambéry: home care share 40..85 %, step 1, trend 59 (range 45)


@pytest.fixture(scope="module")
def reg():
    return wb.load_levers()


def sub(i, reg, **levers):
    values = reg.trend_values()
    values.update(levers)
    return Submission(id=i, session_code="ABCDEF", pseudonym=f"P{i}", group="", levers=values,
                      share_code="F1x", text=f"texte {i}", model_version=wb.__version__,
                      territory="grand-chambery", created=datetime(2026, 1, 1, tzinfo=UTC))


def home_care(reg, values, untouched=0):
    """The spread of the home care share: the given choices plus ``untouched`` futures."""
    lv = reg["home_care_share"]
    return spread(lv, np.array([*values, *[lv.trend] * untouched], dtype=float))


def test_a_lever_left_at_its_trend_is_no_opinion(reg):
    lv = reg["home_care_share"]
    assert lv.trend == 59 and (lv.min, lv.max, lv.step) == (40, 85, 1)
    assert direction(lv, 59) is None and direction(lv, 59.4) is None
    assert direction(lv, 60) == UP and direction(lv, 58) == DOWN
    s = home_care(reg, [70, 72], untouched=3)
    assert (s.n, s.up, s.down, s.expressed, s.no_opinion) == (5, 2, 0, 2, 3)
    assert s.median == 71 and (s.low, s.high) == (70, 72)  # the untouched ones are apart


def test_untouched_levers_are_not_a_large_agreement(reg):
    """The old rule read every lever nobody moved as « large accord » on the trend."""
    subs = [sub(i, reg, home_care_share=70 + i) for i in range(1, 6)]
    by_id = {s.lever.id: s for s in spreads(subs, reg)}
    assert by_id["home_care_share"].verdict == "accord"
    untouched = [s for k, s in by_id.items() if k != "home_care_share"]
    assert untouched and all(s.verdict == "peu" and s.expressed == 0 for s in untouched)
    assert all(s.sentence_fr.startswith("Trop peu d'avis : personne sur 5") for s in untouched)


def test_the_consensus_follows_those_who_chose_not_the_status_quo(reg):
    """Twenty of fifty raise the home care share to 80 %: the old median stayed at the trend
    (59 %), because thirty futures left it there; the consensus now goes to 80 %."""
    subs = [sub(i, reg, home_care_share=80) for i in range(1, 21)]
    subs += [sub(i, reg) for i in range(21, 51)]
    cons = consensus_values(subs, reg)
    assert cons["home_care_share"] == 80
    assert np.median([s.levers["home_care_share"] for s in subs]) == 59  # the old answer
    s = next(x for x in spreads(subs, reg) if x.lever.id == "home_care_share")
    assert (s.up, s.down, s.no_opinion, s.verdict) == (20, 0, 30, "accord")
    assert s.sentence_fr == "Large accord à la hausse."
    assert all(cons[k] == lv.trend for k, lv in reg.items() if k != "home_care_share")


def test_too_few_choices_leave_the_consensus_at_the_trend(reg):
    assert not enough_expressed(1, 1) and enough_expressed(2, 2)
    assert not enough_expressed(12, 50) and enough_expressed(13, 50)  # a quarter, rounded up
    few = [sub(1, reg, home_care_share=85)] + [sub(i, reg) for i in range(2, 9)]
    assert consensus_values(few, reg)["home_care_share"] == 59
    s = home_care(reg, [85], untouched=7)
    assert s.verdict == "peu" and s.consensus == 59
    assert s.sentence_fr == ("Trop peu d'avis : 1 personne sur 8 l'a bougé ; le consensus le "
                             "laisse au tendanciel.")
    assert consensus_values([], reg) == reg.trend_values()


def test_verdicts_read_the_direction_then_the_spread(reg):
    close = home_care(reg, [50, 52, 54, 56])  # all down, IQR 3 / 45 = 6.7 %
    assert close.verdict == "accord" and close.way == DOWN
    assert close.sentence_fr == "Large accord à la baisse."
    amounts = home_care(reg, [60, 65, 75, 85])  # all up, IQR 13.75 / 45 = 30.6 %
    assert amounts.verdict == "partage" and amounts.relative_iqr == pytest.approx(13.75 / 45)
    assert amounts.sentence_fr == "D'accord pour le bouger à la hausse, pas sur l'ampleur."
    apart = home_care(reg, [40, 40, 85, 85])  # two each way
    assert apart.verdict == "desaccord" and apart.way is None
    assert apart.sentence_fr == "Désaccord : 2 personnes à la hausse, 2 personnes à la baisse."
    mostly = home_care(reg, [70, 71, 72, 50])  # 3 of 4 up: one direction
    assert mostly.verdict == "accord" and mostly.way == UP
    assert [verdict(u, d, 10, AGREE_MAX) for u, d in ((4, 2), (3, 2), (2, 0), (1, 0))] == [
        "accord", "desaccord", "peu", "peu"]  # 2/3 agree; 3/5 do not; a quarter of 10 is 3
    assert verdict(3, 0, 10, AGREE_MAX + 0.001) == "partage"
    assert home_care(reg, []).verdict == "peu" and home_care(reg, []).sentence_fr == (
        "Aucun futur reçu.")


def test_the_consensus_snaps_the_median_of_the_choices_to_the_step(reg):
    s = home_care(reg, [41, 44], untouched=2)  # (41 + 44) / 2 = 42.5 -> 42 (even)
    assert s.median == 42.5 and s.consensus == 42
    order = [x.lever.id for x in spreads([], reg)]
    assert order == [lv.id for lv in ordered_levers(reg)] == [
        lv.id for lv in reg.of_kind("action")] + [lv.id for lv in reg.of_kind("context")]


# -- families of futures ---------------------------------------------------------------------


def known_panel(reg):
    """Three families the test knows: 5 « seniors at home », 4 « less car », 3 « solar »,
    each with small individual differences, their ids interleaved."""
    rng = np.random.default_rng(7)
    subs, truth = [], {}
    for i in range(12):
        fam = "ABC"[i % 3] if i < 9 else "ABA"[i - 9]
        wiggle = int(rng.integers(-2, 3))
        if fam == "A":
            levers = {"home_care_share": 80 + wiggle, "digital_mediation": 1500}
        elif fam == "B":
            levers = {"car_modal_share_2030": 38 + wiggle, "remote_work_days": 1.5}
        else:
            levers = {"solar_pv_2030": 250 + 5 * wiggle, "building_renovation_rate": 2500}
        subs.append(sub(i + 1, reg, **levers))
        truth[i + 1] = fam
    return subs, truth


def test_families_recover_a_panel_whose_families_are_known(reg):
    subs, truth = known_panel(reg)
    fams = families(subs, reg)
    assert [f.letter for f in fams] == ["A", "B", "C"]
    assert [len(f.members) for f in fams] == [5, 4, 3]
    for f in fams:  # each family is exactly one of the known ones
        assert len({truth[s.id] for s in f.members}) == 1
    a = fams[0]
    assert {lv.id for lv, _ in a.distinctive} >= {"home_care_share", "digital_mediation"}
    assert dict((lv.id, way) for lv, way in a.distinctive)["home_care_share"] == UP
    assert "Maintien à domicile à la hausse" in a.summary_fr
    assert a.levers["digital_mediation"] == 1500 and 78 <= a.levers["home_care_share"] <= 82
    # the family's median future is a valid scenario on every lever
    sc = a.scenario()
    assert set(sc.levers) == set(reg) and sc.name == "famille-a"
    # deterministic: the same families in another order of arrival
    again = families(list(reversed(subs)), reg)
    assert [[s.id for s in f.members] for f in again] == [[s.id for s in f.members] for f in fams]


def test_no_families_from_too_few_or_alike_futures(reg):
    assert families([sub(i, reg, home_care_share=70) for i in range(1, 4)], reg) == []
    assert families([sub(i, reg, home_care_share=70) for i in range(1, 9)], reg) == []


def test_silhouette_of_a_clear_and_of_a_mixed_partition():
    x = np.array([[0.0], [0.1], [5.0], [5.1]])
    assert silhouette(x, np.array([1, 1, 2, 2])) > 0.9
    assert silhouette(x, np.array([1, 2, 1, 2])) < 0
    assert silhouette(x, np.array([1, 1, 1, 1])) == 0.0


# -- the vote on the consensus ---------------------------------------------------------------


def test_the_ballot_holds_the_themes_the_consensus_moves_in_the_apps_order(reg):
    trend = reg.trend_values()
    assert ballot_themes(trend, reg) == []
    energy = next(lv for lv in reg.values() if lv.theme != "demographie" and lv.kind == "action")
    moved = {**trend, "fertility": reg["fertility"].max, energy.id: energy.max}
    themes = ballot_themes(moved, reg)
    assert set(themes) == {"demographie", energy.theme}
    assert themes == [t for t in reg.themes if t in themes]
    assert [lv.id for lv in moved_levers(moved, reg, "demographie")] == ["fertility"]


def vote(theme: str, choice: str, who: str = "p"):
    return Vote(who, theme, choice, "F1", datetime(2026, 3, 12, tzinfo=UTC))


@pytest.mark.parametrize(("choices", "verdict"), [
    ((), "aucun"),
    (("accord", "accord", "desaccord"), "adopte"),
    (("accord", "desaccord"), "a_discuter"),  # half is not more than half
    (("desaccord", "desaccord", "a_discuter"), "rejete"),
    (("accord", "a_discuter", "a_discuter", "desaccord"), "a_discuter"),
])
def test_a_theme_is_adopted_by_more_than_half_of_its_voters(reg, choices, verdict):
    votes = [vote("demographie", c, f"p{i}") for i, c in enumerate(choices)]
    votes.append(vote("mobilite", "desaccord"))  # another theme's vote does not count here
    (t,) = tally(votes, ["demographie"], reg)
    assert t.verdict == verdict and t.total == len(choices)
    assert t.label_fr == "Démographie"
    assert (t.accord, t.desaccord, t.a_discuter) == tuple(choices.count(c) for c in CHOICE_FR)
    words = {"aucun": "Pas encore de vote", "adopte": "Adopté", "rejete": "Rejeté",
             "a_discuter": "à discuter"}
    assert words[verdict] in t.sentence_fr
