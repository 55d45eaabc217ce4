"""Event infrastructure shared by every app: the outbox (emitted events); the inbox and transports build on it."""
