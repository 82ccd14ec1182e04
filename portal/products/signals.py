"""What the products area tells and asks the areas above it, which it must not import (blinker signals).

Receivers connect in their own services modules, which the app factory imports through their blueprints.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with (product, fields=[changed field names]) when a product's data changes, before the caller commits:
# the applications area re-indexes the applications that show it.
product_changed = _signals.signal("product-changed")

# Sent with (attachment, user=) when someone other than an administrator or the owning company asks for an
# attachment: a receiver returning True lets them download it (the reviewers of what it was submitted to,
# anyone for a listed product's registration certificate). Nobody answering True means no.
attachment_access = _signals.signal("attachment-access")

# Sent with no arguments: receivers return the attachment kinds they require (a catalogue's own kinds),
# offered on the upload form beside the usual ones.
attachment_kinds_asked = _signals.signal("attachment-kinds-asked")

# Sent with (product, actor=) for the company's product page: receivers return a dict of what they show of it
# (its applications and the batches open to it, its catalogue entries).
product_shown = _signals.signal("product-shown")

# Sent with (product_ids) for a page of the company's products: receivers return (name, {product_id: n}),
# e.g. ("applied", …) and ("listed", …), counted once for the whole page.
products_counted = _signals.signal("products-counted")
