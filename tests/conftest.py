import sys
from pathlib import Path

# tests import small shared helpers (toy_problem) by module name
sys.path.insert(0, str(Path(__file__).parent))
