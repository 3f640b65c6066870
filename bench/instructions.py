"""`make bench-instructions`: the machine instructions one request of each main page costs
in one process, counted by valgrind's callgrind (Debian's `valgrind`): the demo app as
Олена, as bench/bench_dashboard.py times it.

A count, not a time: on this shared VM a page's time moves by a third from one minute to
the next, while two counts of the same code agree to a thousandth. So it says whether a
change made a page cheaper, turn about against another checkout (`git worktree`), long
before a time could; what a change is worth in requests a second, `make bench` says (and
an instruction is not a fixed time: a cache miss costs more). It has no figure to meet.

Each page runs in a process of its own under valgrind, counting only the measured requests
(--instr-atstart=no, switched on and off by callgrind_control around them)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = (("a static file", "/static/portal.css"), ("signed-in redirect", "/login"),
         ("dashboard", "/"), ("expenses report", "/expenses"))
ROUNDS = 50


def count_here(url):
    """Inside valgrind: ROUNDS requests of `url`, once warm, the only ones counted."""
    from bench.bench_dashboard import signed_in_client, warm

    with tempfile.TemporaryDirectory() as folder:
        client = signed_in_client(folder)
        warm(client, url)
        switch = ["callgrind_control", "--instr"]
        subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
        for _ in range(ROUNDS):
            client.get(url)
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)


def count(url, folder):
    """Instructions a request of `url`, from a run of its own under callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={folder}/callgrind.%p", sys.executable, "-m",
         "bench.instructions", url],
        capture_output=True, text=True, env={**os.environ, "PORTAL_DEMO": "1"},
        cwd=Path(__file__).resolve().parent.parent)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not collected:
        raise RuntimeError(f"valgrind failed for {url}:\n{done.stderr[-2000:]}")
    return int(collected.group(1)) / ROUNDS


def main():
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed: run `sudo apt-get install valgrind`")
        return False
    with tempfile.TemporaryDirectory() as folder:
        for name, url in PAGES:
            print(f"{name:20} {url:20} {count(url, folder):>14,.0f} instructions a request",
                  flush=True)
    return True


if __name__ == "__main__":
    if len(sys.argv) > 1:
        count_here(sys.argv[1])
    else:
        sys.exit(0 if main() else 1)
