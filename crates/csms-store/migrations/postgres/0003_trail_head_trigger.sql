-- The chain head follows each appended record inside the same statement, saving a round trip
-- per audited write.
CREATE FUNCTION trail_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE trail_heads SET hash = NEW.hash WHERE chain_id = NEW.chain_id AND seq = NEW.seq;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trail_head_follows AFTER INSERT ON trail
    FOR EACH ROW EXECUTE FUNCTION trail_head_follows();
