CREATE UNIQUE INDEX "channel_accounts_smtp_key" ON "channel_accounts" USING btree ("kind") WHERE kind = 'smtp';--> statement-breakpoint
-- The SMTP sender moves from the settings row "email.smtp" to a channel account of kind "smtp"
-- (the password stays sealed as it was; an empty host meant "no sender": nothing to move).
INSERT INTO "channel_accounts" ("kind", "name", "config", "is_enabled")
SELECT 'smtp',
  'SMTP ' || ("value"->>'host'),
  jsonb_build_object(
    'host', "value"->>'host',
    'port', COALESCE(("value"->>'port')::int, 587),
    'secure', COALESCE(("value"->>'secure')::boolean, false),
    'user', COALESCE("value"->>'user', ''),
    'password', COALESCE("value"->>'password_enc', ''),
    'from', COALESCE("value"->>'from', '')
  ),
  true
FROM "settings"
WHERE "key" = 'email.smtp' AND COALESCE("value"->>'host', '') <> '';
--> statement-breakpoint
DELETE FROM "settings" WHERE "key" = 'email.smtp';
