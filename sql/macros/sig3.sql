-- Three significant digits: an estimate good to ±25 % needs no more (1234.5 → 1230, 45.67 → 45.7).
CREATE OR REPLACE MACRO sig3(x) AS
    CASE WHEN x IS NULL OR x = 0 OR NOT isfinite(x) THEN x
         ELSE round(x, 2 - floor(log10(abs(x)))::INTEGER) END;
