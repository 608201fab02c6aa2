"""Counter feedback: one-question transactional feedback for public service counters."""
