"""`make bench`: run every bench/bench_*.py module's main(); exit non-zero if one missed
its target."""
import importlib
import pkgutil
import sys
from pathlib import Path

failed = False
for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if module.name.startswith("bench_"):
        print(f"== {module.name}")
        failed |= not importlib.import_module(f"bench.{module.name}").main()
sys.exit(1 if failed else 0)
