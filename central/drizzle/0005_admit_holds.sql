-- Admission of online holds in ONE round trip (it was a projection read, then an attempts insert): for
-- each (store, sku), in request order, a hold is admitted while central's projected available covers it
-- (a retried Idempotency-Key whose attempt is still open is admitted whatever the projection says, and
-- counts nothing off: the projection may already include it); a hold that does not fit is refused and
-- takes nothing, so a smaller one after it may still fit. Every admitted hold gets its write-ahead
-- reservation_attempts row before the function returns, i.e. before the request leaves for the store.
-- Callers hold the (store, sku) lock, so nothing else admits on these keys meanwhile.
CREATE OR REPLACE FUNCTION stocksync_admit_holds(p_holds json)
RETURNS TABLE (ord integer, admitted boolean, available integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  h record;
  v_key text := NULL;
  v_left integer := 0;
BEGIN
  FOR h IN
    SELECT c.ord, c."reservationId" AS rid, c."storeId" AS store, c.sku, c.qty, c.retried,
           (s.on_hand - s.reserved) AS projected
    FROM json_to_recordset(p_holds)
      AS c(ord int4, "reservationId" uuid, "storeId" text, sku text, qty int4, retried boolean)
    LEFT JOIN stock s ON s.store_id = c."storeId" AND s.sku = c.sku
    ORDER BY c."storeId", c.sku, c.ord
  LOOP
    IF v_key IS DISTINCT FROM h.store || E'\n' || h.sku THEN
      v_key := h.store || E'\n' || h.sku;
      v_left := coalesce(h.projected, 0);
    END IF;
    ord := h.ord;
    IF h.retried OR v_left >= h.qty THEN
      IF NOT h.retried THEN
        v_left := v_left - h.qty;
      END IF;
      INSERT INTO reservation_attempts (reservation_id, store_id, sku) VALUES (h.rid, h.store, h.sku)
      ON CONFLICT (reservation_id, store_id) DO UPDATE SET settled_at = NULL, next_try_at = now();
      admitted := true;
    ELSE
      admitted := false;
    END IF;
    available := v_left;
    RETURN NEXT;
  END LOOP;
END
$$;
