-- The sharded services read tenant placements here (ADR 0004), and nothing else of this
-- database: they log in as bulkhead_placement_reader, which may only SELECT tenant_placements.
-- With the service role they could have read every user, password hash and API key hash. The
-- role is created with the others, by whoever provisions the server (the devstack, the
-- CloudNativePG manifests).
GRANT SELECT ON tenant_placements TO bulkhead_placement_reader;
