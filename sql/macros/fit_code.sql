-- A device's fit for one quant in one character (a page's `fit.verdicts`, exports/README.md):
-- G runs great, D decent; too small: the number of GPUs of that kind that would hold it, 2-9
-- then a-z for 10-35, or '-' when it cannot be split that way (unified memory, systems, > 35).
CREATE OR REPLACE MACRO fit_code(verdict, gpus_needed) AS
    CASE verdict WHEN 'runs_great' THEN 'G' WHEN 'decent' THEN 'D'
         ELSE CASE WHEN gpus_needed BETWEEN 2 AND 35
                   THEN substr('23456789abcdefghijklmnopqrstuvwxyz', gpus_needed - 1, 1)
                   ELSE '-' END END;
