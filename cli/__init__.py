"""The `curate` command: the top layer, composing the core commands (``curation.cli``), the
training commands (``training.cli``) and the review workbench launcher (`curate app`).

Layers point one way: cli -> app -> training -> curation. Nothing below imports ``cli``.
"""
