"""The workshop server: standalone Voilà with the room's rules (a pool of pre-started
kernels sized for the room, a readiness signal, a cap, no leaked kernels) and its
hardening. ``python -m workbench.server apps/ --participants 50``; ``make workshop`` runs it."""
