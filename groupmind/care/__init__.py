"""Care: noticing members in distress or gone quiet, and bringing in a human."""
