-- How a page groups a device (the seed's lists): consumer_gpu | workstation_gpu | datacenter_gpu |
-- mac | unified_other (unified memory that is not a Mac: Strix Halo, DGX Spark, Jetson, ...) | system
-- (several GPUs, superchips).
CREATE OR REPLACE MACRO device_class(kind, unified, segment) AS
    CASE WHEN kind IN ('system', 'superchip') THEN 'system'
         WHEN unified AND segment = 'mac' THEN 'mac'
         WHEN unified THEN 'unified_other'
         WHEN segment = 'consumer' THEN 'consumer_gpu'
         WHEN segment = 'workstation' THEN 'workstation_gpu'
         ELSE 'datacenter_gpu' END;
