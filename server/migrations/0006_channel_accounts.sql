CREATE TABLE "channel_accounts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "channel_accounts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_enabled" boolean DEFAULT true NOT NULL,
	"state" text DEFAULT 'stopped' NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "channel_accounts_kind_idx" ON "channel_accounts" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "channel_accounts_enabled_idx" ON "channel_accounts" USING btree ("id") WHERE is_enabled;