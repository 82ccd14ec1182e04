"""What the directory tells the areas above it, which it must not import (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

# Sent with (company, fields=[changed field names]) when an existing company's data changes, before the caller
# commits: entries and applications are indexed with their company's name, short name and district.
company_changed = _signals.signal("company-changed")
