"""Pure business rules of the portal.

No Flask, no database, no clock: everything a rule needs, `today` and `now` included, comes
in as a parameter, so each rule is tested on its own (hypothesis where it pays).
Money is integer kopiyky throughout.
"""
