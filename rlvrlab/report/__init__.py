"""Static reports (HTML + markdown twin) of training runs and evals; `write_report` is the entry point."""
