-- Full-text search over tickets: title (A) and description (B) in Russian and English
-- stemming, plus public messages (C); trigram index on the title for typo tolerance.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION helpdesk_ticket_doc_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.doc_vector :=
    setweight(to_tsvector('russian', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('russian', left(coalesce(NEW.description, ''), 100000)), 'B') ||
    setweight(to_tsvector('english', left(coalesce(NEW.description, ''), 100000)), 'B');
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER tickets_doc_vector BEFORE INSERT OR UPDATE OF title, description ON tickets
  FOR EACH ROW EXECUTE FUNCTION helpdesk_ticket_doc_vector();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION helpdesk_ticket_msg_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.is_internal THEN
    UPDATE tickets SET msg_vector = coalesce(msg_vector, ''::tsvector) ||
      setweight(to_tsvector('russian', left(NEW.body, 20000)), 'C') ||
      setweight(to_tsvector('english', left(NEW.body, 20000)), 'C')
    WHERE id = NEW.ticket_id;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ticket_messages_msg_vector AFTER INSERT ON ticket_messages
  FOR EACH ROW EXECUTE FUNCTION helpdesk_ticket_msg_vector();
--> statement-breakpoint
CREATE INDEX tickets_doc_vector_idx ON tickets USING gin (doc_vector);
--> statement-breakpoint
CREATE INDEX tickets_msg_vector_idx ON tickets USING gin (msg_vector);
--> statement-breakpoint
CREATE INDEX tickets_title_trgm_idx ON tickets USING gin (title gin_trgm_ops);
