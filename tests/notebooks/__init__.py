"""The load-experiment notebooks (notebooks/*.ipynb), executed headless."""
