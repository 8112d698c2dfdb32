-- Seconds per token: the sum of decode_terms.
CREATE OR REPLACE MACRO decode_seconds(terms) AS
    terms.read_s + terms.per_token_s + terms.hops_s + terms.layers_s + terms.moe_s + terms.attention_s
    + terms.compute_s;
