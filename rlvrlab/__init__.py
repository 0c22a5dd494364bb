"""rlvrlab: RLVR (GRPO) on math with real and spurious rewards.

Importing the package does nothing heavy; every stage lives in its own module (see DESIGN in README).
"""

__version__ = "0.1.0"
