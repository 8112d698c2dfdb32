-- KV bytes each further token adds once every sliding window is full: full and mla rows,
-- plus compressed rows divided by their ratio (sliding windows and recurrent state add none).
CREATE OR REPLACE MACRO kv_bytes_per_token(parts) AS
    coalesce(list_sum(list_transform(parts,
        lambda p: CASE p.kind
                      WHEN 'compressed' THEN p.row_bytes / p.ratio
                      WHEN 'sliding' THEN 0
                      WHEN 'recurrent' THEN 0
                      ELSE p.row_bytes
                  END)), 0);
