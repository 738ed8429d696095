from __future__ import annotations

import sys
from pathlib import Path

# The seeding helpers are shared with the dashboard tests.
sys.path.insert(0, str(Path(__file__).parent))
