CREATE TABLE "telegram_user_peers" (
	"account_id" integer NOT NULL,
	"chat_id" bigint NOT NULL,
	"ref" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "telegram_user_peers_account_id_chat_id_pk" PRIMARY KEY("account_id","chat_id")
);
--> statement-breakpoint
ALTER TABLE "telegram_user_peers" ADD CONSTRAINT "telegram_user_peers_account_id_channel_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."channel_accounts"("id") ON DELETE cascade ON UPDATE no action;