"""`python -m cli ...` is `curate ...`."""

from cli.main import main

main()
