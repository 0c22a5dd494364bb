"""GRPO training on TRL's GRPOTrainer with the paper's knobs: config, oracle objective, trainer subclass,
run-folder callbacks, run/resume. Importing this package does nothing heavy."""
