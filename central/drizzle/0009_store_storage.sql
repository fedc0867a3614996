ALTER TABLE "stores" ADD COLUMN "reported_storage_full" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "reported_disk_free_bytes" bigint;