-- Admission (migration 0005) now also finds out which keyed holds are retries: a hold with an
-- Idempotency-Key whose attempt at that store is still open may already hold there, so it is admitted as
-- it is and counts nothing off. Central asked that in a query of its own before admitting, one more
-- round trip for every batch with a key in it. The lookups run before the loop writes any attempt (the
-- ORDER BY reads every input row first), as that query did. `retried`, as a central of the release
-- before still sends it during a rolling upgrade, keeps its meaning.
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
    SELECT c.ord, c."reservationId" AS rid, c."storeId" AS store, c.sku, c.qty,
           coalesce(c.retried, false) OR (coalesce(c.keyed, false) AND EXISTS (
             SELECT 1 FROM reservation_attempts a
             WHERE a.reservation_id = c."reservationId" AND a.store_id = c."storeId" AND a.settled_at IS NULL
           )) AS retried,
           (s.on_hand - s.reserved) AS projected
    FROM json_to_recordset(p_holds)
      AS c(ord int4, "reservationId" uuid, "storeId" text, sku text, qty int4, retried boolean, keyed boolean)
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
