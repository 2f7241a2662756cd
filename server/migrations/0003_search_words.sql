-- Typo tolerance: the distinct words of ticket titles, trigram-indexed. A query word with no
-- full-text match is corrected to its nearest known word ("прентер" → "принтер"), which is far
-- cheaper than comparing the query with every title.
CREATE TABLE IF NOT EXISTS search_words (word text PRIMARY KEY);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION helpdesk_collect_title_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w FROM regexp_split_to_table(lower(NEW.title), '[^[:alnum:]]+') AS w
  WHERE length(w) BETWEEN 3 AND 40
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER tickets_collect_title_words AFTER INSERT OR UPDATE OF title ON tickets
  FOR EACH ROW EXECUTE FUNCTION helpdesk_collect_title_words();
--> statement-breakpoint
INSERT INTO search_words (word)
SELECT DISTINCT w FROM tickets, regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS w
WHERE length(w) BETWEEN 3 AND 40
ON CONFLICT DO NOTHING;
