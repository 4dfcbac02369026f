"""Wait until an HTTP endpoint answers 200: `python -m scripts.wait_ready URL [TIMEOUT_SECONDS]`.

Used as `ExecStartPost=` by the systemd units in docs/systemd/ so that a unit counts as started only once its
process answers (Rasa listens only after its model is loaded, which takes up to about 2 minutes). Standard
library only, and it prints nothing on success, so it adds nothing to the logs of a healthy start.
"""
from __future__ import annotations

import sys
import time
import urllib.request
from typing import List, Optional


def wait_ready(url: str, timeout: float, interval: float = 1.0) -> bool:
    """True once `url` answers 200 within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:  # refused, reset, timed out, HTTP error: not ready yet
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m scripts.wait_ready URL [TIMEOUT_SECONDS]", file=sys.stderr)
        return 2
    timeout = float(args[1]) if len(args) == 2 else 60.0
    if wait_ready(args[0], timeout):
        return 0
    print(f"{args[0]} did not answer 200 within {timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
