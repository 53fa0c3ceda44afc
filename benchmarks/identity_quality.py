"""Identity resolution against the demo world's ground truth: pairwise precision and recall of
persons and accounts, beside a naive exact-email match.

    python benchmarks/identity_quality.py --workdir warehouse-demo [--workdir other-demo ...]

Each work folder is one the demo built (`revenue-warehouse demo --workdir DIR`): its
warehouse.duckdb and its world/truth/.
"""

import argparse
import json
from pathlib import Path

import duckdb

from demo_world.scoring import account_score, identified_person_score, naive_email_person_score, person_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", action="append", required=True, help="a demo work folder (repeatable)")
    args = parser.parse_args()
    for workdir in map(Path, args.workdir):
        manifest = json.loads((workdir / "world" / "manifest.json").read_text())
        truth = workdir / "world" / "truth"
        print(f"{workdir}: seed {manifest.get('seed')}, scale {manifest.get('scale')}, CRM {manifest.get('crm')}")
        with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
            print("  " + person_score(con, truth).line("persons, every truth record"))
            print("  " + identified_person_score(con, truth).line("persons, identified records"))
            print("  " + naive_email_person_score(con, truth).line("naive exact email, every record"))
            print("  " + account_score(con, truth).line("accounts"))


if __name__ == "__main__":
    main()
