-- A retried delivery waits for the delay of the worker that retried it: the delay is
-- written with the message, not taken from whichever service's relay sends it.
ALTER TABLE outbox ADD COLUMN expiration_ms bigint CHECK (expiration_ms > 0);
