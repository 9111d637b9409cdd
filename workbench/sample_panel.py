"""A synthetic panel as a real one writes it, for the tests, the benchmarks and demos: each
person moves a handful of levers (3 to 8 of 31) to a value on the slider's steps and writes
one to four sentences; two of fifty write a long paragraph. Seeded: the same panel every
time. Not data: nothing here is what a real participant said."""

from __future__ import annotations

import random
import uuid

from . import __version__

SENTENCES = (
    "Je voudrais pouvoir vieillir chez moi, près de mes enfants.",
    "Moins de voitures en ville et des bus plus fréquents le soir.",
    "Des panneaux solaires sur tous les toits des écoles et des gymnases.",
    "Garder les terres agricoles autour de Chambéry pour manger local.",
    "Les jeunes doivent pouvoir se loger sans quitter l'agglomération.",
    "Plus d'ombre et de fontaines quand il fait 35 degrés en juillet.",
    "Aider les personnes âgées à se servir d'internet, sans les laisser seules.",
    "Rénover les logements anciens avant de construire du neuf.",
    "Protéger l'eau du lac et des rivières, même si cela coûte.",
    "Un vélo sûr pour aller au travail, des pistes séparées des voitures.",
)
NAMES = ("Zoé", "Léo", "Ana", "Jean", "Fatou", "Marc", "Inès", "Paul", "Chloé", "Omar")


def sample_panel(store, registry, n: int = 50, seed: int = 2030,
                 title: str = "Séance plénière de décembre"):
    """Open a session in ``store`` and submit ``n`` futures to it; returns the session."""
    rng = random.Random(seed)
    session = store.create_session(title)
    ids = list(registry)
    for i in range(n):
        values = registry.trend_values()
        for lid in rng.sample(ids, rng.randint(3, 8)):
            lv = registry[lid]
            steps = round((lv.max - lv.min) / lv.step)
            values[lid] = round(lv.min + lv.step * rng.randint(0, steps), 6)
        text = " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
        if i in (7, 31):  # two long paragraphs
            text = " ".join(SENTENCES) + " " + " ".join(SENTENCES[:5])
        store.submit(session.code, f"{NAMES[i % 10]} {i // 10 + 1}", values, text,
                     group=f"Table {i % 6 + 1}" if i % 3 else "", share_code="F1sample",
                     model_version=__version__, territory="grand-chambery",
                     key=uuid.uuid4().hex, participant=f"personne-{seed}-{i:03d}")
    return session
