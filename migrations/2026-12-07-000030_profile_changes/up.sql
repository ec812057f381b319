-- Services keep the profiles a post goes to for a few seconds after reading them (the
-- acceptance check read them on every post); a change to a profile is pushed to them by
-- this notification, sent when the change commits, whoever makes it. Only a real change
-- notifies: an UPDATE that leaves the row as it was does not.
CREATE FUNCTION profiles_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('profiles_changed', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER profiles_changed_on_update
    AFTER UPDATE ON profiles FOR EACH ROW
    WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION profiles_changed();

CREATE TRIGGER profiles_changed_on_delete
    AFTER DELETE ON profiles FOR EACH ROW EXECUTE FUNCTION profiles_changed();
