"""`rlvr sweep`: a grid of GRPO runs (models x rewards x clip variants x seeds x any TrainConfig key), each a
normal run folder with its eval, run on this machine, on Ray or on SLURM, resumable (rlvrlab/sweep/spec.py
describes the spec, state.py the folder)."""
