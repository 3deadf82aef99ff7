"""The kinds of due work care leaves in the due set (`groupmind.store.due`), named in one place.

Kept apart from the code that runs them, so forget-me and the scheduler can name
a kind without importing the care service.
"""

FOLLOW_UP = "care-followup"
"""A member's later check-in (keyed by member id)."""
REMINDER = "care-reminder"
"""An open alert's next reminder (keyed by alert id)."""
QUIET = "care-quiet"
"""A community's quiet sweep (keyed "sweep"), re-armed each time it runs."""
CARE_KINDS = frozenset({FOLLOW_UP, REMINDER, QUIET})
"""The kinds of due work `CareService.run_due` runs."""
