"""`python -m local_cloud up|down|status` (what `make up`, `make down`, `make status` run)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from local_cloud.cloud_lifecycle import DEFAULT_STATE_DIR, down, print_endpoints, status, up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_cloud", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--no-triton", action="store_true", help="skip Triton (health then reports it down)")
    args = parser.parse_args(argv)
    if args.command == "up":
        try:
            state = up(args.state_dir, with_triton=not args.no_triton)
        except Exception as error:  # reported, not hidden: the failing part and its log tail
            print(f"[local-cloud] up failed: {error}", file=sys.stderr)
            return 1
        print_endpoints(state)
        return 0
    if args.command == "down":
        try:
            down(args.state_dir)
        except RuntimeError as error:
            print(f"[local-cloud] {error}", file=sys.stderr)
            return 1
        return 0
    report = status(args.state_dir)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
