-- Macros used by ingest (pipeline/ingest). Created as TEMP macros on the ingest connection.

-- Unit spelling -> lookup key: case, spaces, micro sign (µ, μ, mikro, u), 10⁹ / 10E9 / 10*9 / x10^9,
-- the same for 10³, degree sign. Applied to the spellings in pipeline/data/units.csv and to the reported units alike.
CREATE OR REPLACE TEMP MACRO aos_unit_key(u) AS
    regexp_replace(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            lower(regexp_replace(coalesce(u, ''), '\s+', '', 'g')),
            'mikro', 'u'), 'µ', 'u'), 'μ', 'u'), '⁹', '^9'), '³', '^3'), '×', 'x'),
            '10e9', '10^9'), '10*9', '10^9'), '10e3', '10^3'), '10*3', '10^3'), '°', ''),
        '^x10', '10');

-- Personnummer / samordningsnummer (SPEC §5, Skatteverket): date YYMMDD (day + 60 for
-- samordningsnummer) and a Luhn check digit over the 10-digit form.
CREATE OR REPLACE TEMP MACRO aos_digit(d, i) AS TRY_CAST(substr(d, i, 1) AS INTEGER);
CREATE OR REPLACE TEMP MACRO aos_luhn2(d, i) AS
    CASE WHEN aos_digit(d, i) < 5 THEN 2 * aos_digit(d, i) ELSE 2 * aos_digit(d, i) - 9 END;
CREATE OR REPLACE TEMP MACRO aos_luhn_ok(d) AS
    (aos_luhn2(d, 1) + aos_digit(d, 2) + aos_luhn2(d, 3) + aos_digit(d, 4) + aos_luhn2(d, 5)
     + aos_digit(d, 6) + aos_luhn2(d, 7) + aos_digit(d, 8) + aos_luhn2(d, 9) + aos_digit(d, 10)) % 10 = 0;
-- YYYYMMDD where DD may be day + 60; DD % 60 turns 61..91 into 1..31 and 60 into an invalid 0.
CREATE OR REPLACE TEMP MACRO aos_pnr_date_ok(ymd) AS
    try_strptime(left(ymd, 6) || lpad(CAST(TRY_CAST(substr(ymd, 7, 2) AS INTEGER) % 60 AS VARCHAR), 2, '0'),
                 '%Y%m%d') IS NOT NULL;
-- d: 10 or 12 digits, separator removed.
CREATE OR REPLACE TEMP MACRO aos_pnr_digits_ok(d) AS
    CASE WHEN length(d) = 12 THEN left(d, 2) IN ('18', '19', '20') AND aos_pnr_date_ok(left(d, 8))
         ELSE aos_pnr_date_ok('19' || left(d, 6)) OR aos_pnr_date_ok('20' || left(d, 6)) END
    AND aos_luhn_ok(right(d, 10));
-- A text value that is a valid personnummer or samordningsnummer in any accepted form.
CREATE OR REPLACE TEMP MACRO aos_pnr_valid(s) AS
    coalesce(regexp_full_match(s, '(\d{2})?\d{6}[-+]?\d{4}')
             AND aos_pnr_digits_ok(regexp_replace(s, '[-+]', '')), false);

-- Parsing raw text (already trimmed, NULL when empty).
-- Dates: ISO YYYY-MM-DD (a time part after ' ' or 'T' is ignored) or YYYYMMDD; impossible dates -> NULL.
CREATE OR REPLACE TEMP MACRO aos_date(x) AS
    CASE WHEN regexp_full_match(x, '\d{4}-\d{2}-\d{2}([ T].*)?')
              THEN CAST(try_strptime(left(x, 10), '%Y-%m-%d') AS DATE)
         WHEN regexp_full_match(x, '\d{8}') THEN CAST(try_strptime(x, '%Y%m%d') AS DATE) END;
-- Numbers: decimal point or decimal comma, optional sign and exponent; no thousands separators.
CREATE OR REPLACE TEMP MACRO aos_num(x) AS
    CASE WHEN regexp_full_match(x, '[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?')
              THEN TRY_CAST(replace(x, ',', '.') AS DOUBLE) END;
-- Lab values: a number with an optional comparator '<' or '>' (censored value: the bound).
CREATE OR REPLACE TEMP MACRO aos_lab_num(x) AS aos_num(regexp_replace(x, '^[<>]\s*', ''));
CREATE OR REPLACE TEMP MACRO aos_lab_qualifier(x) AS
    CASE WHEN left(x, 1) IN ('<', '>') AND aos_lab_num(x) IS NOT NULL THEN left(x, 1) END;
-- A raw value quoted for a quarantine reason (shortened).
CREATE OR REPLACE TEMP MACRO aos_q(x) AS
    '''' || CASE WHEN length(x) > 40 THEN left(x, 37) || '...' ELSE x END || '''';
-- A quarantine reason without the cell value: quoted values, a value before "is after" and row
-- numbers removed, so that reasons group into categories (messages name the category only).
CREATE OR REPLACE TEMP MACRO aos_reason_category(r) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(r,
        '''.*''', '…'), '^(\w+): \S+ is after', '\1: … is after'),
        '\d+ different rows', 'several different rows'), ' \(rows [^)]*\)| of row \d+', '');

-- A Parquet DOUBLE as the text pyarrow gives it (the text every other reader of the file sees):
-- shortest round-trip digits, plain notation for decimal exponents -6 .. 9 ('5', '0.000025',
-- '1000000000'), else 'd.ddde+N' / 'd.ddde-N' ('1e+10', '1e-7'); 'nan', 'inf', '-inf', '-0'.
-- Built from DuckDB's own shortest text, which differs only in layout ('5.0', '1e-07').
CREATE OR REPLACE TEMP MACRO aos_dbl_layout(neg, d, e) AS
    CASE WHEN d = '' THEN neg || '0'
         WHEN e BETWEEN 0 AND 9 THEN neg || rpad(left(d, e + 1), CAST(e + 1 AS INTEGER), '0')
              || CASE WHEN length(d) > e + 1 THEN '.' || substr(d, e + 2) ELSE '' END
         WHEN e BETWEEN -6 AND -1 THEN neg || '0.' || repeat('0', CAST(-e - 1 AS BIGINT)) || d
         ELSE neg || left(d, 1) || CASE WHEN length(d) > 1 THEN '.' || substr(d, 2) ELSE '' END
              || 'e' || CASE WHEN e > 0 THEN '+' ELSE '-' END || CAST(abs(e) AS VARCHAR) END;
-- a: DuckDB's text of a finite double without its sign -> (significant digits, decimal exponent).
CREATE OR REPLACE TEMP MACRO aos_dbl_from_text(neg, a) AS
    CASE WHEN contains(a, 'e')
              THEN aos_dbl_layout(neg, rtrim(replace(split_part(a, 'e', 1), '.', ''), '0'),
                                  CAST(split_part(a, 'e', 2) AS INTEGER))
         WHEN split_part(a, '.', 1) <> '0'
              THEN aos_dbl_layout(neg, rtrim(replace(a, '.', ''), '0'), length(split_part(a, '.', 1)) - 1)
         ELSE aos_dbl_layout(neg, rtrim(ltrim(split_part(a, '.', 2), '0'), '0'),
                             length(ltrim(split_part(a, '.', 2), '0')) - length(split_part(a, '.', 2)) - 1) END;
CREATE OR REPLACE TEMP MACRO aos_double_text_layout(v) AS
    CASE WHEN isnan(v) THEN 'nan' WHEN NOT isfinite(v) THEN CAST(v AS VARCHAR)
         ELSE aos_dbl_from_text(CASE WHEN v < 0 OR CAST(v AS VARCHAR) = '-0.0' THEN '-' ELSE '' END,
                                ltrim(CAST(v AS VARCHAR), '-')) END;
-- Fast paths first (one cast each): whole numbers below 1e9, then other numbers in [1e-4, 1e9),
-- which DuckDB writes in plain notation as pyarrow does.
CREATE OR REPLACE TEMP MACRO aos_double_text(v) AS
    CASE WHEN isfinite(v) AND v = trunc(v) AND abs(v) < 1e9 AND v <> 0 THEN CAST(CAST(v AS BIGINT) AS VARCHAR)
         WHEN isfinite(v) AND abs(v) >= 1e-4 AND abs(v) < 1e9 THEN CAST(v AS VARCHAR)
         ELSE aos_double_text_layout(v) END;
