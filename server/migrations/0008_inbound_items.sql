CREATE TABLE "inbound_items" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "inbound_items_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"channel" text NOT NULL,
	"account_id" integer,
	"external_id" text,
	"delivery_key" text,
	"status" text NOT NULL,
	"reason" text,
	"sender" text,
	"subject" text,
	"size" integer DEFAULT 0 NOT NULL,
	"ticket_id" bigint,
	"ticket_message_id" bigint,
	"original_attachment_id" uuid,
	"rejected_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channel_accounts" ADD COLUMN "queue_id" integer;--> statement-breakpoint
ALTER TABLE "channel_accounts" ADD COLUMN "cursor" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- IMAP mailboxes become channel accounts of kind "email" (the password stays sealed as it was).
ALTER TABLE "channel_accounts" ADD COLUMN "legacy_mailbox_id" integer;--> statement-breakpoint
INSERT INTO "channel_accounts" ("kind", "name", "config", "is_enabled", "state", "last_error", "last_error_at",
  "last_activity_at", "queue_id", "cursor", "created_at", "updated_at", "legacy_mailbox_id")
SELECT 'email', "name",
  jsonb_build_object('source', "source", 'host', "host", 'port', "port", 'tls', "tls",
    'username', "username", 'password', "password_enc", 'folder', "folder"),
  "is_enabled", 'stopped', "last_error", "last_error_at", "last_fetch_at", "queue_id",
  CASE WHEN "uid_validity" IS NULL THEN '{}'::jsonb
    ELSE jsonb_build_object('uidValidity', "uid_validity", 'lastUid', "last_uid") END,
  "created_at", "updated_at", "id"
FROM "mailboxes" ORDER BY "id";--> statement-breakpoint
-- The inbound mail log becomes the inbound log of every channel.
INSERT INTO "inbound_items" ("channel", "account_id", "external_id", "delivery_key", "status", "reason",
  "sender", "subject", "size", "ticket_id", "ticket_message_id", "original_attachment_id", "rejected_files",
  "created_at")
SELECT 'email', a."id", e."message_id", e."uid_validity" || ':' || e."uid", e."status", e."reason",
  e."from_address", e."subject", e."size", e."ticket_id", e."ticket_message_id", e."raw_attachment_id",
  e."rejected_attachments", e."created_at"
FROM "inbound_emails" e JOIN "channel_accounts" a ON a."legacy_mailbox_id" = e."mailbox_id"
ORDER BY e."id";--> statement-breakpoint
ALTER TABLE "channel_accounts" DROP COLUMN "legacy_mailbox_id";--> statement-breakpoint
DROP TABLE "inbound_emails" CASCADE;--> statement-breakpoint
DROP TABLE "mailboxes" CASCADE;--> statement-breakpoint
ALTER TABLE "inbound_items" ADD CONSTRAINT "inbound_items_account_id_channel_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."channel_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_items" ADD CONSTRAINT "inbound_items_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_items" ADD CONSTRAINT "inbound_items_ticket_message_id_ticket_messages_id_fk" FOREIGN KEY ("ticket_message_id") REFERENCES "public"."ticket_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_items" ADD CONSTRAINT "inbound_items_original_attachment_id_attachments_id_fk" FOREIGN KEY ("original_attachment_id") REFERENCES "public"."attachments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_items_external_key" ON "inbound_items" USING btree ("channel","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_items_delivery_key" ON "inbound_items" USING btree ("account_id","delivery_key");--> statement-breakpoint
CREATE INDEX "inbound_items_account_idx" ON "inbound_items" USING btree ("account_id","id");--> statement-breakpoint
ALTER TABLE "channel_accounts" ADD CONSTRAINT "channel_accounts_queue_id_queues_id_fk" FOREIGN KEY ("queue_id") REFERENCES "public"."queues"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_accounts_env_key" ON "channel_accounts" USING btree ("kind") WHERE config->>'source' = 'env';--> statement-breakpoint
CREATE INDEX "thread_bindings_external_idx" ON "thread_bindings" USING btree ("channel","external_thread_id");