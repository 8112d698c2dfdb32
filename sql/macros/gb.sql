-- Bytes to decimal gigabytes (1e9), the unit every *_gb column uses.
CREATE OR REPLACE MACRO gb(bytes) AS bytes / 1e9;
