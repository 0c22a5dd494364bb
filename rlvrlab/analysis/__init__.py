"""Analysis of what changed in a model: code reasoning, transitions, clipping, training curves."""
