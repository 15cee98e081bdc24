"""`python -m appraisal` runs the CLI."""

from appraisal.cli import main

main()
