"""``python -m bookkit.datasets fetch [NAME ...] [--force]`` (what ``make data`` runs) and
``python -m bookkit.datasets page`` (rewrite the Data page's generated tables)."""

from __future__ import annotations

import argparse
import sys

from bookkit.datasets.cache import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bookkit.datasets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_parser = commands.add_parser("fetch", help="download, check and convert into the cache")
    fetch_parser.add_argument("names", nargs="*", help="datasets to fetch (default: all)")
    fetch_parser.add_argument("--force", action="store_true", help="convert even if the cache is complete")
    commands.add_parser("page", help="rewrite the generated tables of book/data.md from the pinned table")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "fetch":
            from bookkit.datasets.fetch import fetch

            fetch(arguments.names, force=arguments.force)
        else:
            from bookkit.datasets.page import write_page

            print(f"wrote {write_page()}")
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
