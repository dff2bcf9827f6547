"""``python -m flowlab`` runs the ``flowlab`` command."""

from flowlab.cli import main

main()
