"""``python -m exposure ...`` runs the same command line as the ``exposure`` console script."""

from exposure.cli import main

if __name__ == "__main__":
    main()
