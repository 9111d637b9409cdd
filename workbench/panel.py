"""What the panel's futures say together: pure functions on submissions, shared by the
Plénière (``workbench.app.pleniere``), the session report (``workbench.app.report``) and
the notebooks, so that they all count the same way.

Why this module is over 450 lines: the panel logic is one source of truth (consensus,
verdicts, families, the vote's tally); split, the Plénière and the report would again
import its pieces from several places.

A **submission** is anything with ``id``, ``pseudonym``, ``text`` and ``levers`` (a mapping
lever id → value), such as :class:`workbench.store.Submission`.

**Who expressed a choice on a lever.** A future holds a value for every lever, and a lever
the participant never moved holds its trend value. Counting those as votes for the trend
made every untouched lever read « large accord » and pulled every median to the status quo
whenever fewer than half the panel moved a lever. So here a lever **left at its trend
value** (within half a step) counts as « pas d'avis »; only the others are choices, each
« à la hausse » or « à la baisse » from the trend. (Someone who deliberately keeps the
trend cannot be told apart from someone who did not touch the lever: both read « pas
d'avis », and the page says so.)

**The consensus** puts each lever at the median of the choices expressed on it, snapped
to the lever's step, provided enough of the panel expressed one (:data:`MIN_EXPRESSED`
people and :data:`MIN_EXPRESSED_SHARE` of the futures); otherwise the lever stays at its
trend value and its verdict is « trop peu d'avis ».

**The verdict** on a lever, in plain French (:class:`Spread`):

* ``peu`` « trop peu d'avis »: too few choices expressed (above);
* ``desaccord`` « désaccord »: the choices pull both ways, neither direction gathering
  :data:`SAME_WAY_MIN` of them;
* ``accord`` « large accord »: one direction, and the middle half of the choices
  (interquartile range) within :data:`AGREE_MAX` of the slider's whole range;
* ``partage`` « avis partagés »: one direction, but the amounts differ more than that.

**The vote on the consensus** (:func:`tally`): the facilitator puts the consensus to the
vote on each theme it moves (:func:`ballot_themes`); each person says « d'accord », « pas
d'accord » or « à discuter » per theme, and may change their mind while the vote is open.
A theme is « adopté » when more than half of those who voted on it agree, « rejeté » when
more than half disagree, and otherwise « à discuter »."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ScenarioError
from .levers import Lever, LeverRegistry
from .results import Results
from .scenario import Scenario
from .store import CHOICES

log = logging.getLogger("workbench.panel")

TREND, CONSENSUS = "tendanciel", "consensus"
LABELS_FR = {TREND: "Tendanciel", CONSENSUS: "Consensus du panel"}
#: « tendanciel » in one sentence, where a page or the report first uses the word
TREND_EXPLAINED_FR = ("Le tendanciel, c'est le futur où rien ne change de cap : chaque levier "
                      "suit la tendance d'aujourd'hui. Chaque futur se compare à lui.")

MIN_EXPRESSED = 2  # people who moved a lever, at the least, for the consensus to move it
MIN_EXPRESSED_SHARE = 0.25  # …and this share of the futures received
SAME_WAY_MIN = 2 / 3  # share of the choices going one way, below which it is a désaccord
AGREE_MAX = 0.15  # interquartile range of the choices over the slider's range: accord
UP, DOWN = "hausse", "baisse"

VERDICT_FR = {"accord": "large accord", "partage": "avis partagés", "desaccord": "désaccord",
              "peu": "trop peu d'avis"}


# -- one future ------------------------------------------------------------------------------


def scenario_name(sub) -> str:
    """Unique in a run, since submission ids are: ``Zoé (n° 12)``."""
    return f"{sub.pseudonym} (n° {sub.id})"


def ordered_levers(registry: LeverRegistry) -> list[Lever]:
    """Registry order, action levers first, then context assumptions."""
    return registry.of_kind("action") + registry.of_kind("context")


def submission_values(sub, registry: LeverRegistry) -> dict[str, float]:
    """Every lever's value in a submission. A lever the submission lacks (added since) or a
    value the registry now refuses (range narrowed since) takes the trend value, logged."""
    out = registry.trend_values()
    for k, lv in registry.items():
        if k in sub.levers:
            try:
                out[k] = lv.check(sub.levers[k])
            except ScenarioError as err:
                log.warning("submission %s: %s; the trend value is used", sub.id, err)
    return out


def submission_scenario(sub, registry: LeverRegistry) -> Scenario:
    return Scenario(name=scenario_name(sub), levers=submission_values(sub, registry),
                    author=sub.pseudonym, description=sub.text)


def panel_values(subs: Sequence, registry: LeverRegistry) -> dict[str, np.ndarray]:
    """Lever id → the panel's values (one per submission, in the order given)."""
    rows = [submission_values(s, registry) for s in subs]
    return {k: np.array([r[k] for r in rows], dtype=float) for k in registry}


def direction(lv: Lever, value: float) -> str | None:
    """:data:`UP` or :data:`DOWN` from the lever's trend, or ``None`` for a value left at
    the trend (within half a step): « pas d'avis »."""
    if abs(value - lv.trend) < lv.step / 2:
        return None
    return UP if value > lv.trend else DOWN


# -- the panel on one lever ------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How the panel chose one lever. The statistics are over the choices expressed (the
    futures that moved the lever away from its trend), ``None`` when there are none."""

    lever: Lever
    n: int  # futures received
    up: int  # moved above the trend
    down: int  # moved below the trend
    median: float | None
    q1: float | None
    q3: float | None
    low: float | None
    high: float | None
    relative_iqr: float | None  # (q3 − q1) / (max − min) of the lever; None below 2 choices
    verdict: str  # a key of VERDICT_FR
    consensus: float  # the lever's value in the consensus

    @property
    def expressed(self) -> int:
        return self.up + self.down

    @property
    def no_opinion(self) -> int:
        """Futures that left the lever at its trend value: « pas d'avis »."""
        return self.n - self.expressed

    @property
    def way(self) -> str | None:
        """The direction most choices took (:data:`UP`, :data:`DOWN`), ``None`` on a tie."""
        if self.up == self.down:
            return None
        return UP if self.up > self.down else DOWN

    @property
    def verdict_fr(self) -> str:
        return VERDICT_FR[self.verdict]

    @property
    def sentence_fr(self) -> str:
        """The verdict as a sentence a participant reads on the projector."""
        way = {UP: "à la hausse", DOWN: "à la baisse"}.get(self.way or "", "")
        if self.verdict == "peu":
            if not self.n:
                return "Aucun futur reçu."
            return (f"Trop peu d'avis : {_people(self.expressed)} sur {self.n} l'"
                    f"{'a' if self.expressed == 1 else 'ont'} bougé ; le consensus le "
                    "laisse au tendanciel.")
        if self.verdict == "desaccord":
            return (f"Désaccord : {_people(self.up)} à la hausse, {_people(self.down)} à "
                    "la baisse.")
        if self.verdict == "accord":
            return f"Large accord {way}."
        return f"D'accord pour le bouger {way}, pas sur l'ampleur."


def _people(k: int) -> str:
    return f"{k} personne{'s' if k > 1 else ''}" if k else "personne"


def enough_expressed(expressed: int, n: int) -> bool:
    """Whether ``expressed`` choices out of ``n`` futures are enough to move the consensus."""
    return expressed >= max(MIN_EXPRESSED, math.ceil(MIN_EXPRESSED_SHARE * n - 1e-9))


def verdict(up: int, down: int, n: int, relative_iqr: float | None) -> str:
    """The verdict key (module docstring) from the counts of choices each way among ``n``
    futures and the interquartile range of the choices over the slider's range."""
    expressed = up + down
    if not enough_expressed(expressed, n):
        return "peu"
    if max(up, down) < SAME_WAY_MIN * expressed - 1e-12:
        return "desaccord"
    if relative_iqr is not None and relative_iqr <= AGREE_MAX + 1e-12:
        return "accord"
    return "partage"


def spread(lv: Lever, values: np.ndarray) -> Spread:
    """The panel's :class:`Spread` on one lever from every future's value on it. Quartiles
    are numpy's default (linear interpolation); an even number of choices takes the mean
    of the two middle ones, and the consensus snaps it to the step (a value half-way goes
    to the even number of steps, Python's round)."""
    n = int(values.size)
    ways = [direction(lv, float(v)) for v in values]
    chosen = np.array([v for v, w in zip(values, ways, strict=True) if w], dtype=float)
    up, down = ways.count(UP), ways.count(DOWN)
    if chosen.size == 0:
        return Spread(lv, n, 0, 0, None, None, None, None, None, None,
                      verdict(0, 0, n, None), lv.trend)
    q1, med, q3 = (float(x) for x in np.percentile(chosen, [25, 50, 75]))
    rel = (q3 - q1) / (lv.max - lv.min) if chosen.size >= 2 else None
    key = verdict(up, down, n, rel)
    consensus = lv.trend if key == "peu" else lv.check(lv.from_steps(lv.steps(med)))
    return Spread(lv, n, up, down, med, q1, q3, float(chosen.min()), float(chosen.max()), rel,
                  key, consensus)


def spreads(subs: Sequence, registry: LeverRegistry) -> list[Spread]:
    """One :class:`Spread` per lever, in :func:`ordered_levers` order."""
    values = panel_values(subs, registry)
    return [spread(lv, values[lv.id]) for lv in ordered_levers(registry)]


# -- the consensus and the panel run ---------------------------------------------------------


def consensus_values(subs: Sequence, registry: LeverRegistry) -> dict[str, float]:
    """Each lever at the median of the choices expressed on it, or at its trend value when
    too few expressed one (module docstring)."""
    by_id = {s.lever.id: s.consensus for s in spreads(subs, registry)}
    return {k: by_id[k] for k in registry}


def consensus_scenario(subs: Sequence, registry: LeverRegistry) -> Scenario:
    return Scenario(name=CONSENSUS, levers=consensus_values(subs, registry),
                    title="Consensus du panel",
                    description="Chaque levier à la médiane des choix exprimés sur lui ; "
                                "laissé au tendanciel quand trop peu l'ont bougé.")


@dataclass
class PanelRun:
    """The trend, the consensus and the given submissions run together."""

    results: Results
    names: list[str]  # scenario names in the results: trend, consensus, then submissions
    labels: dict[str, str]  # name → French label (unescaped)
    consensus: Scenario | None  # None in a run of families (run_families)


def run_panel(engine, subs: Sequence, chosen: Sequence | None = None) -> PanelRun:
    """Run the trend, the consensus of ``subs`` and ``chosen`` (default: every submission)
    through the models with ``engine.run``."""
    registry = engine.levers
    consensus = consensus_scenario(subs, registry)
    picked = list(subs if chosen is None else chosen)
    scenarios = [Scenario(name=TREND), consensus,
                 *(submission_scenario(s, registry) for s in picked)]
    res = engine.run(scenarios)
    labels = dict(LABELS_FR)
    labels.update({scenario_name(s): scenario_name(s) for s in picked})
    return PanelRun(res, [s.name for s in scenarios], labels, consensus)


# -- families of futures ---------------------------------------------------------------------

MIN_FAMILY_FUTURES = 4  # below this, no families: two futures are not two families
MAX_FAMILIES = 5
MIN_SILHOUETTE = 0.25  # below this mean silhouette, the futures form no clear families
DISTINCTIVE = 3  # levers named in a family's name


@dataclass(frozen=True)
class Family:
    """A group of similar futures (:func:`families`)."""

    letter: str  # « A », « B »…, the largest family first
    members: tuple  # its submissions, by id
    levers: dict[str, float]  # its median future: each lever at the members' median
    # (lever, UP / DOWN from the trend, or None: left at the trend), most distinctive first
    distinctive: tuple[tuple[Lever, str | None], ...]

    @property
    def name(self) -> str:
        return f"famille-{self.letter.lower()}"

    @property
    def label_fr(self) -> str:
        return f"Famille {self.letter}"

    @property
    def summary_fr(self) -> str:
        """« Aide à domicile à la hausse, Voitures au tendanciel… »: its distinctive levers,
        each with where the family's median puts it against the trend."""
        if not self.distinctive:
            return "proche de l'ensemble du panel"
        words = {UP: "à la hausse", DOWN: "à la baisse", None: "au tendanciel"}
        return ", ".join(f"{lv.label_fr} {words[way]}" for lv, way in self.distinctive)

    def scenario(self) -> Scenario:
        return Scenario(name=self.name, levers=dict(self.levers),
                        title=f"{self.label_fr} : {self.summary_fr}",
                        description=f"Médiane des {len(self.members)} futurs de la famille.")


def run_families(engine, fams: Sequence[Family]) -> PanelRun:
    """The trend and each family's median future, run through the models with
    ``engine.run``."""
    scenarios = [Scenario(name=TREND), *(f.scenario() for f in fams)]
    labels = dict(LABELS_FR)
    labels.update({f.name: f.label_fr for f in fams})
    return PanelRun(engine.run(scenarios), [s.name for s in scenarios], labels, None)


def normalised(subs: Sequence, registry: LeverRegistry) -> np.ndarray:
    """One row per future: each lever's distance from its trend over the slider's range,
    so that every lever weighs the same whatever its unit."""
    levers = ordered_levers(registry)
    values = panel_values(subs, registry)
    return np.column_stack([(values[lv.id] - lv.trend) / (lv.max - lv.min) for lv in levers]) \
        if len(subs) else np.zeros((0, len(levers)))


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette (Rousseeuw 1987) of a partition, Euclidean; 0 for one cluster."""
    ids = np.unique(labels)
    if ids.size < 2:
        return 0.0
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    scores = []
    for i in range(len(x)):
        own = labels == labels[i]
        if own.sum() == 1:
            scores.append(0.0)
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == k].mean() for k in ids if k != labels[i])
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def families(subs: Sequence, registry: LeverRegistry) -> list[Family]:
    """The futures grouped into 2 to 5 families, or none when they form no clear groups.

    Ward's hierarchical clustering (scipy) of the :func:`normalised` lever vectors: it is
    deterministic (no random seed, the same families on every machine and every refresh),
    and the number of families is the one with the best mean :func:`silhouette`, provided
    it reaches :data:`MIN_SILHOUETTE`. Each family is named by the levers on which its
    median departs most (over 5 % of the slider's range) from the whole panel's median."""
    from scipy.cluster.hierarchy import fcluster, linkage

    subs = sorted(subs, key=lambda s: s.id)
    n = len(subs)
    if n < MIN_FAMILY_FUTURES:
        return []
    x = normalised(subs, registry)
    if np.allclose(x, x[0]):
        return []
    tree = linkage(x, method="ward")
    best, best_score = None, MIN_SILHOUETTE - 1e-12
    for k in range(2, min(MAX_FAMILIES, n - 1) + 1):
        labels = fcluster(tree, t=k, criterion="maxclust")
        if np.unique(labels).size != k:
            continue
        score = silhouette(x, labels)
        if score > best_score + 1e-9:  # a tie keeps the fewer families
            best, best_score = labels, score
    if best is None:
        return []
    levers = ordered_levers(registry)
    overall = np.median(x, axis=0)
    groups = sorted((np.flatnonzero(best == k) for k in np.unique(best)),
                    key=lambda idx: (-idx.size, subs[idx[0]].id))
    out = []
    for letter, idx in zip("ABCDE", groups, strict=False):
        members = tuple(subs[i] for i in idx)
        values = panel_values(members, registry)
        median = {lv.id: lv.check(lv.from_steps(lv.steps(float(np.median(values[lv.id])))))
                  for lv in levers}
        gap = np.median(x[idx], axis=0) - overall
        order = [j for j in np.argsort(-np.abs(gap), kind="stable") if abs(gap[j]) > 0.05]
        distinctive = tuple((levers[j], direction(levers[j], median[levers[j].id]))
                            for j in order[:DISTINCTIVE])
        out.append(Family(letter, members, {k: median[k] for k in registry}, distinctive))
    return out


# -- the vote on the consensus ---------------------------------------------------------------

CHOICE_FR = dict(zip(CHOICES, ("D'accord", "Pas d'accord", "À discuter"), strict=True))


def ballot_themes(consensus: Mapping[str, float], registry: LeverRegistry) -> list[str]:
    """The themes whose levers the consensus moves away from the trend, in the apps' order:
    what the facilitator puts to the vote."""
    moved = {lv.theme for lv in registry.values() if consensus.get(lv.id, lv.trend) != lv.trend}
    return [t for t in registry.themes if t in moved]


def moved_levers(consensus: Mapping[str, float], registry: LeverRegistry,
                 theme: str) -> list[Lever]:
    """The levers of ``theme`` that the consensus moves."""
    return [lv for lv in ordered_levers(registry)
            if lv.theme == theme and consensus.get(lv.id, lv.trend) != lv.trend]


@dataclass(frozen=True)
class Tally:
    """The votes on one theme of the consensus."""

    theme: str
    label_fr: str
    accord: int
    desaccord: int
    a_discuter: int

    @property
    def total(self) -> int:
        return self.accord + self.desaccord + self.a_discuter

    @property
    def verdict(self) -> str:
        """``adopte`` (more than half agree), ``rejete`` (more than half disagree),
        ``a_discuter`` (no majority either way) or ``aucun`` (nobody has voted)."""
        if not self.total:
            return "aucun"
        if 2 * self.accord > self.total:
            return "adopte"
        if 2 * self.desaccord > self.total:
            return "rejete"
        return "a_discuter"

    @property
    def sentence_fr(self) -> str:
        t = self.total
        if not t:
            return "Pas encore de vote."
        counts = (f"{self.accord} d'accord, {self.desaccord} pas d'accord, "
                  f"{self.a_discuter} à discuter")
        return {"adopte": f"Adopté : plus de la moitié est d'accord ({counts}).",
                "rejete": f"Rejeté : plus de la moitié n'est pas d'accord ({counts}).",
                "a_discuter": f"Pas de majorité : à discuter ({counts})."}[self.verdict]


def tally(votes: Sequence, themes: Sequence[str], registry: LeverRegistry) -> list[Tally]:
    """One :class:`Tally` per theme of the ballot, from the store's votes (each person's
    latest choice per theme)."""
    out = []
    for theme in themes:
        chosen = [v.choice for v in votes if v.theme == theme]
        label = registry.themes.get(theme, {}).get("fr", theme)
        out.append(Tally(theme, label, *(chosen.count(c) for c in CHOICE_FR)))
    return out
