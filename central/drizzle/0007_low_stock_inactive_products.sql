-- The low-stock rule of 0004 for discontinued products: an inactive product opens no alert, and its
-- open alerts resolve (nobody restocks a product HQ deactivated); reactivating it evaluates it again.
CREATE OR REPLACE FUNCTION stocksync_low_stock(p_touched json)
RETURNS TABLE (id bigint, store_id text, sku text, status text, available integer, min_stock integer,
               opened_at timestamptz, resolved_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  with touched as (
    select t."storeId" as store_id, t.sku, t.available, t.at
    from json_to_recordset(p_touched) as t("storeId" text, sku text, available int4, at timestamptz)
  ), limits as (
    select t.store_id, t.sku, t.available, t.at, coalesce(s.min_stock, p.default_min_stock, 0) as min_stock,
           coalesce(p.active, true) as active
    from touched t
    left join stock s on s.store_id = t.store_id and s.sku = t.sku
    left join products p on p.sku = t.sku
  ), opened as (
    insert into alerts (store_id, sku, status, available, min_stock, opened_at)
    select l.store_id, l.sku, 'open', l.available, l.min_stock, l.at from limits l where l.active and l.available < l.min_stock
    on conflict (store_id, sku) where status = 'open' do nothing
    returning alerts.id, alerts.store_id, alerts.sku, alerts.status, alerts.available, alerts.min_stock,
              alerts.opened_at, alerts.resolved_at
  ), resolved as (
    update alerts a set status = 'resolved', resolved_at = greatest(l.at, a.opened_at), available = l.available
    from limits l
    where a.store_id = l.store_id and a.sku = l.sku and a.status = 'open' and (not l.active or l.available >= l.min_stock)
    returning a.id, a.store_id, a.sku, a.status, a.available, a.min_stock, a.opened_at, a.resolved_at
  )
  select * from opened union all select * from resolved order by 1;
END
$$;
