"""What the catalogue tells the areas above it, which it must not import (blinker signals, as Flask uses).

Receivers connect in their own services modules, which the app factory imports through their blueprints.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with (batch, step=NextStep, now=datetime) while working out a batch's next step: areas above the
# catalogue (applications under review, objections) add the blockers and notes they know of.
batch_step = _signals.signal("batch-step")

# Sent with (entry, actor=User, reason=str) when an entry is delisted, before the caller commits. Receivers
# returning a number report how many open assessments they closed.
entry_delisted = _signals.signal("entry-delisted")

# Sent with (batch, listed_on=date) when an import lists a published batch and asks for the hospitals'
# assessments; the assessments area creates them and returns how many.
batch_listed = _signals.signal("batch-listed")
