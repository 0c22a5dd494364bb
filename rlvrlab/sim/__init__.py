"""The model organism: a synthetic math world, a character tokenizer and tiny pretrained model families.

Importing this package does nothing; see `world`, `tokenizer`, `pretrain` and `info`.
"""
