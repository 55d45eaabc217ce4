"""Domain events the jobs app announces. Other apps subscribe (moderation screens postings); jobs imports
none of them. Sent after the transaction commits, so a receiver never sees a rolled-back change."""

from django.dispatch import Signal

# Sent with: posting_id: int, change: PostingChange (created / updated / status_changed).
posting_changed = Signal()

# Sent with: year: int, created: bool. A new year's minimum triggers a re-check of live postings' wages.
minimum_wage_changed = Signal()
