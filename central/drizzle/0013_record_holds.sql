-- Recording the holds stores made, in ONE round trip: it was BEGIN, the insert, COMMIT (three, each a
-- wake-up of central and of a backend; the reservations bench's largest step after the store's own).
-- The transaction was there for one reason: a statement that times out at central while the server
-- hangs runs when the server resumes, and committed on its own it would record a reservation whose
-- buyer was told 503 "nothing was reserved". This function instead refuses to commit past the caller's
-- deadline (central sets it a margin short of its query timeout): whatever runs late raises, and the
-- statement's implicit transaction rolls back. Checked last, after the insert, so only the commit itself
-- is left between the check and the write becoming visible, as COMMIT was before.
CREATE OR REPLACE FUNCTION stocksync_record_holds(p_rows json, p_deadline timestamptz)
RETURNS TABLE (
  id uuid, store_id text, sku text, qty integer, status text, order_ref text,
  expires_at timestamptz, created_at timestamptz, updated_at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH input AS (
      SELECT * FROM json_to_recordset(p_rows)
        AS r(id uuid, "storeId" text, sku text, qty int4, "orderRef" text, "expiresAt" timestamptz)
    ), inserted AS (
      INSERT INTO reservations AS t (id, store_id, sku, qty, status, order_ref, expires_at)
      SELECT i.id, i."storeId", i.sku, i.qty, 'held', i."orderRef", i."expiresAt" FROM input i
      ON CONFLICT DO NOTHING
      RETURNING t.id, t.store_id, t.sku, t.qty, t.status::text, t.order_ref, t.expires_at, t.created_at, t.updated_at
    )
    SELECT * FROM inserted
    UNION ALL
    -- the statement's snapshot does not see the rows it inserts: these are the older ones
    SELECT r.id, r.store_id, r.sku, r.qty, r.status::text, r.order_ref, r.expires_at, r.created_at, r.updated_at
    FROM reservations r WHERE r.id IN (SELECT i.id FROM input i);
  IF p_deadline IS NOT NULL AND clock_timestamp() > p_deadline THEN
    RAISE EXCEPTION 'recording holds ran past its deadline (%): nothing recorded', p_deadline
      USING ERRCODE = 'query_canceled';
  END IF;
END
$$;
