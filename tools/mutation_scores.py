"""Print the mutation score of each mutated file from mutmut's recorded results.

A mutant counts as killed when a test failed on it or it ran into the timeout (a mutant that
loops forever is caught too); survivors and mutants that no test reaches are not killed.
Run after ``mutmut run`` (``make mutation`` does both).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

DETECTED = {"killed", "timeout"}


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    listing = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    totals: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    states: Counter[tuple[str, str]] = Counter()
    for line in listing.splitlines():
        name, _, state = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x")[0]
        totals[module] += 1
        states[module, state] += 1
        if state in DETECTED:
            detected[module] += 1
    for module in sorted(totals):
        score = detected[module] / totals[module]
        breakdown = ", ".join(f"{state} {n}" for (m, state), n in sorted(states.items()) if m == module)
        print(f"{module}: {score:.1%} killed ({detected[module]} of {totals[module]}; {breakdown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
