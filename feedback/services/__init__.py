"""Business logic: plain functions on a SQLAlchemy session, no Flask request state."""
