"""What the products area tells the areas above it, which it must not import (blinker signals)."""

from blinker import Namespace

# Sent with (product, fields=[changed field names]) when a product's data changes, before the caller commits:
# the applications area re-indexes the applications that show it.
product_changed = Namespace().signal("product-changed")
