CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"status" text NOT NULL,
	"available" integer NOT NULL,
	"min_stock" integer NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "command_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "discrepancies" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"expected" integer NOT NULL,
	"actual" integer NOT NULL,
	"ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "products" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text DEFAULT '' NOT NULL,
	"price" numeric(14, 4) NOT NULL,
	"default_min_stock" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"published_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_price_chk" CHECK ("products"."price" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"qty" integer NOT NULL,
	"status" text NOT NULL,
	"order_ref" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_sku_settings" (
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"min_stock" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"published_version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "transfers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"from_store_id" text NOT NULL,
	"to_store_id" text NOT NULL,
	"qty" integer NOT NULL,
	"shipped_qty" integer,
	"received_qty" integer,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"shipped_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfers_qty_chk" CHECK ("transfers"."qty" > 0 and "transfers"."from_store_id" <> "transfers"."to_store_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_uq" ON "alerts" USING btree ("store_id","sku") WHERE "alerts"."status" = 'open';--> statement-breakpoint
CREATE INDEX "alerts_status_idx" ON "alerts" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "command_outbox_unpublished_idx" ON "command_outbox" USING btree ("created_at") WHERE "command_outbox"."published_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "discrepancies_dedup_uq" ON "discrepancies" USING btree ("kind","store_id","sku","ref");--> statement-breakpoint
CREATE INDEX "discrepancies_open_idx" ON "discrepancies" USING btree ("created_at") WHERE "discrepancies"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "products_category_idx" ON "products" USING btree ("category","sku");--> statement-breakpoint
CREATE INDEX "products_unpublished_idx" ON "products" USING btree ("sku") WHERE "products"."version" > "products"."published_version";--> statement-breakpoint
CREATE INDEX "reservations_store_sku_idx" ON "reservations" USING btree ("store_id","sku","status");--> statement-breakpoint
CREATE INDEX "reservations_order_idx" ON "reservations" USING btree ("order_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "store_sku_settings_pk" ON "store_sku_settings" USING btree ("store_id","sku");--> statement-breakpoint
CREATE INDEX "transfers_status_idx" ON "transfers" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "transfers_sku_idx" ON "transfers" USING btree ("sku","status");