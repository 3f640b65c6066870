"""The demo data set's constants: its files (demo/), the one password of its sign-ins
(README, "Demo sign-ins"), and the cabinets already through their first sign-in."""
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_PASSWORD = "Demo-2026"
# Demo profiles that have been through the first sign-in; the rest show registration.
DEMO_CONFIRMED = ("olena", "romashka", "andrii", "iryna", "mariia", "taras", "olha")
