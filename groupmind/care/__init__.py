"""Care: notice distress and members going quiet, stay present, bring in a human."""
