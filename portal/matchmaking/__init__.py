"""医企对接: hospital departments' clinical needs, companies' responses, 医企面对面 meetings and sessions.

This area sits above products, catalogue, search, assessments, directory, accounts, audit, notifications and
core, and imports only from them; nothing below imports from here.
"""
