"""``python -m flowlab.cli`` runs the ``flowlab`` command."""

from flowlab.cli import main

main()
