CREATE TABLE "reservation_attempts" (
	"reservation_id" uuid NOT NULL,
	"store_id" text NOT NULL,
	"sku" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"tries" integer DEFAULT 0 NOT NULL,
	"next_try_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "reservation_attempts_reservation_id_store_id_pk" PRIMARY KEY("reservation_id","store_id")
);
--> statement-breakpoint
CREATE INDEX "reservation_attempts_unsettled_idx" ON "reservation_attempts" USING btree ("next_try_at") WHERE "reservation_attempts"."settled_at" is null;