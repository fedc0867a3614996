ALTER TABLE `stock` ADD `last_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Backfill from the ledger in one grouped pass (the ledger has no index on sku, by design).
UPDATE `stock` SET `last_seq` = `l`.`seq`
FROM (SELECT `sku`, max(`seq`) AS `seq` FROM `ledger` GROUP BY `sku`) AS `l`
WHERE `l`.`sku` = `stock`.`sku`;
