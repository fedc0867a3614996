CREATE TABLE "chain_breaks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"seq" bigint,
	"reason" text NOT NULL,
	"event_id" text,
	"event_hash" text,
	"detail" text,
	"payload" jsonb,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "event_buffer" (
	"store_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_buffer_store_id_seq_pk" PRIMARY KEY("store_id","seq")
);
--> statement-breakpoint
CREATE TABLE "ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"store_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"sku" text NOT NULL,
	"delta" integer NOT NULL,
	"reserved_delta" integer NOT NULL,
	"on_hand" integer NOT NULL,
	"reserved" integer NOT NULL,
	"version" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"ref" text,
	"reason" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stock" (
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"on_hand" integer NOT NULL,
	"reserved" integer NOT NULL,
	"version" integer NOT NULL,
	"min_stock" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_store_id_sku_pk" PRIMARY KEY("store_id","sku"),
	CONSTRAINT "stock_non_negative_chk" CHECK ("stock"."on_hand" >= 0 and "stock"."reserved" >= 0)
);
--> statement-breakpoint
CREATE TABLE "stores" (
	"store_id" text PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"last_hash" text DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' NOT NULL,
	"last_event_at" timestamp with time zone,
	"last_applied_at" timestamp with time zone,
	"last_contact_at" timestamp with time zone,
	"reported_last_seq" bigint,
	"reported_pending" integer,
	"reported_oldest_pending_age_ms" bigint,
	"buffered_events" integer DEFAULT 0 NOT NULL,
	"chain_status" text DEFAULT 'ok' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stores_chain_status_chk" CHECK ("stores"."chain_status" in ('ok', 'broken'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "chain_breaks_dedup_uq" ON "chain_breaks" USING btree ("store_id","seq","reason","event_hash");--> statement-breakpoint
CREATE INDEX "chain_breaks_store_idx" ON "chain_breaks" USING btree ("store_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_event_id_uq" ON "ledger" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_store_seq_uq" ON "ledger" USING btree ("store_id","seq");--> statement-breakpoint
CREATE INDEX "ledger_store_sku_id_idx" ON "ledger" USING btree ("store_id","sku","id");--> statement-breakpoint
CREATE INDEX "ledger_sku_id_idx" ON "ledger" USING btree ("sku","id");--> statement-breakpoint
CREATE INDEX "stock_sku_idx" ON "stock" USING btree ("sku","store_id");