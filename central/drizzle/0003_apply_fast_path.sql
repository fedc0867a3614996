-- Low-stock evaluation, shared by the transaction path (evaluateLowStock) and the fast path below, so the
-- rule exists once: open an alert when available < min (per-store min, else the product default, else
-- 0) and none is open; resolve the open one when available >= min. Returns the alerts that changed.
CREATE OR REPLACE FUNCTION stocksync_low_stock(p_touched json)
RETURNS TABLE (id bigint, store_id text, sku text, status text, available integer, min_stock integer,
               opened_at timestamptz, resolved_at timestamptz)
LANGUAGE sql VOLATILE AS $$
  with touched as (
    select t."storeId" as store_id, t.sku, t.available, t.at
    from json_to_recordset(p_touched) as t("storeId" text, sku text, available int4, at timestamptz)
  ), limits as (
    select t.store_id, t.sku, t.available, t.at, coalesce(s.min_stock, p.default_min_stock, 0) as min_stock
    from touched t
    left join stock s on s.store_id = t.store_id and s.sku = t.sku
    left join products p on p.sku = t.sku
  ), opened as (
    insert into alerts (store_id, sku, status, available, min_stock, opened_at)
    select l.store_id, l.sku, 'open', l.available, l.min_stock, l.at from limits l where l.available < l.min_stock
    on conflict (store_id, sku) where status = 'open' do nothing
    returning alerts.id, alerts.store_id, alerts.sku, alerts.status, alerts.available, alerts.min_stock,
              alerts.opened_at, alerts.resolved_at
  ), resolved as (
    update alerts a set status = 'resolved', resolved_at = greatest(l.at, a.opened_at), available = l.available
    from limits l
    where a.store_id = l.store_id and a.sku = l.sku and a.status = 'open' and l.available >= l.min_stock
    returning a.id, a.store_id, a.sku, a.status, a.available, a.min_stock, a.opened_at, a.resolved_at
  )
  select * from opened union all select * from resolved order by 1
$$;
--> statement-breakpoint
-- The steady-state apply in ONE statement (one round trip, no BEGIN/COMMIT): the caller walked each
-- store's chain against its cached cursor; this locks the cursors in store-id order (as the transaction
-- path does, so replicas never deadlock) and writes only if every one is still exactly there (same seq
-- and hash, chain ok, nothing buffered). Otherwise it writes nothing and returns ok = false, and the
-- caller takes the transaction path. Writes: ledger rows (event id unique), the stock compare-and-set,
-- the cursor advance and, when p_touched is not null, the low-stock evaluation.
CREATE OR REPLACE FUNCTION stocksync_apply_fast(p_cursors json, p_events json, p_newest json,
                                                p_applied_at timestamptz, p_touched json)
RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_expected integer := json_array_length(p_cursors);
  v_matched integer;
  v_alerts json := '[]'::json;
BEGIN
  SELECT count(*) FILTER (WHERE l.last_seq = c."fromSeq" AND l.last_hash = c."fromHash"
                            AND l.chain_status = 'ok' AND l.buffered_events = 0)
    INTO v_matched
  FROM (SELECT s.store_id, s.last_seq, s.last_hash, s.chain_status, s.buffered_events
        FROM stores s
        WHERE s.store_id IN (SELECT k."storeId" FROM json_to_recordset(p_cursors) AS k("storeId" text))
        ORDER BY s.store_id
        FOR UPDATE) l
  JOIN json_to_recordset(p_cursors) AS c("storeId" text, "fromSeq" int8, "fromHash" text)
    ON c."storeId" = l.store_id;
  IF v_matched <> v_expected THEN
    RETURN json_build_object('ok', false);
  END IF;

  INSERT INTO ledger (event_id, store_id, seq, type, sku, delta, reserved_delta, on_hand, reserved, version,
                      occurred_at, ref, reason, prev_hash, hash, applied_at)
  SELECT e.id, e."storeId", e.seq, e.type, e.sku, e.delta, e."reservedDelta", e."onHand", e.reserved, e.version,
         e."occurredAt", e.ref, e.reason, e."prevHash", e.hash, now()
  FROM json_to_recordset(p_events) AS e(
    id uuid, "storeId" text, seq int8, type text, sku text, delta int4, "reservedDelta" int4, "onHand" int4,
    reserved int4, version int4, "occurredAt" timestamptz, ref text, reason text, "prevHash" text, hash text)
  ON CONFLICT (event_id) DO NOTHING;

  INSERT INTO stock AS s (store_id, sku, on_hand, reserved, version, updated_at)
  SELECT r."storeId", r.sku, r."onHand", r.reserved, r.version, p_applied_at
  FROM json_to_recordset(p_newest) AS r("storeId" text, sku text, "onHand" int4, reserved int4, version int4)
  ON CONFLICT (store_id, sku) DO UPDATE SET
    on_hand = excluded.on_hand,
    reserved = excluded.reserved,
    version = excluded.version,
    updated_at = excluded.updated_at
  WHERE s.version < excluded.version;

  UPDATE stores s SET
    last_seq = c."toSeq",
    last_hash = c."toHash",
    last_event_at = c."lastEventAt",
    last_applied_at = p_applied_at
  FROM json_to_recordset(p_cursors) AS c("storeId" text, "toSeq" int8, "toHash" text, "lastEventAt" timestamptz)
  WHERE s.store_id = c."storeId";

  IF p_touched IS NOT NULL THEN
    SELECT coalesce(json_agg(a), '[]'::json) INTO v_alerts FROM stocksync_low_stock(p_touched) a;
  END IF;
  RETURN json_build_object('ok', true, 'alerts', v_alerts);
END
$$;
