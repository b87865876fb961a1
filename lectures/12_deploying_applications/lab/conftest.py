"""Self-check wiring: tests import the code under test from $LAB_DIR (default: this lab's starter)."""

import os
import sys
from pathlib import Path

LAB = Path(__file__).parent
sys.path.insert(0, str(Path(os.environ.get("LAB_DIR", LAB / "starter")).resolve()))
