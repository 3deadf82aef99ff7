"""What the bot process tells its operator: /healthz and Prometheus /metrics."""
