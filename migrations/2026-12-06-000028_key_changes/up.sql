-- Gateways keep API keys they have read for a few seconds; a change to a key is pushed to
-- them by this notification, sent when the change commits (whoever makes it). A key's
-- use (last_used_at) is not a change to it.
CREATE FUNCTION api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_keys_changed', OLD.key_hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_changed
    AFTER UPDATE OF key_hash, workspace_id, permission, providers, profile_ids, revoked_at, policy OR DELETE
    ON api_keys FOR EACH ROW EXECUTE FUNCTION api_keys_changed();
