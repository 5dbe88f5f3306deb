-- The chain head follows each appended record inside the same statement, saving a round trip
-- per audited write.
CREATE TRIGGER trail_head_follows AFTER INSERT ON trail
BEGIN
    UPDATE trail_heads SET hash = NEW.hash WHERE chain_id = NEW.chain_id AND seq = NEW.seq;
END;
