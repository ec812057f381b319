DROP TRIGGER profiles_changed_on_delete ON profiles;
DROP TRIGGER profiles_changed_on_update ON profiles;
DROP FUNCTION profiles_changed();
