DROP INDEX `outbox_unsent`;--> statement-breakpoint
ALTER TABLE `outbox` DROP COLUMN `sent_at_ms`;