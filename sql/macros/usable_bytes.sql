-- What a runtime may fill on one GPU: the device's usable memory (after driver reserve and the
-- OS's unified-memory share) minus the profile's own per-device margin.
CREATE OR REPLACE MACRO usable_bytes(device_usable_bytes, profile_reserve_bytes) AS
    greatest(0, device_usable_bytes - profile_reserve_bytes);
