"""`rlvr audit`: is an RLVR gain real? Spurious-reward controls, prompt baselines, contamination probes and
fresh problems in one verdict (`rlvrlab.audit.run`), each check usable alone (`contamination`,
`prompt_baseline`)."""
