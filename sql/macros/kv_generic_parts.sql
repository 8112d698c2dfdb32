-- The generic formula many tools use (and the seed page): every layer global, K and V of
-- kv_heads × head_dim each, head_dim = hidden_size / attention heads. As a one-part list.
CREATE OR REPLACE MACRO kv_generic_parts(layers, kv_heads, head_dim, kv_type) AS
    [kv_part('full', layers, kv_heads, head_dim, head_dim, NULL, NULL, NULL, kv_type)];
