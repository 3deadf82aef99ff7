"""Platform adapters: each translates one platform's events to core models and replies back."""
