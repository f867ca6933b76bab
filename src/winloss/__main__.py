"""`python -m winloss`: the command line."""
from winloss.cli import main

main()
