"""Signals the ground sends for the parts above it, so it never imports them."""

from django.dispatch import Signal

# sent with ``year`` after an administrator saved a year of the working-day calendar, inside the
# saving transaction: the dossier part recomputes the deadlines of open matters that fall in it
calendar_changed = Signal()
