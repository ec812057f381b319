-- A connect flow started in a browser is bound to it: the SHA-256 of a random value the
-- browser holds as a cookie. The callback is refused without that cookie, so an authorize
-- URL sent to someone else cannot link their account into the sender's workspace.
-- NULL for flows an operator starts on the command line (handed over on purpose).
ALTER TABLE oauth_states ADD COLUMN browser_binding text;
