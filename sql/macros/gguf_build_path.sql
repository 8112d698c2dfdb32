-- The build a GGUF file belongs to: its path without the shard suffix, so every shard of one build
-- gives the same value (`Q4_K_M/M-Q4_K_M-00002-of-00003.gguf` → `Q4_K_M/M-Q4_K_M.gguf`,
-- mradermacher's `M.Q6_K.gguf.part1of2` → `M.Q6_K.gguf`). The one definition: gguf_files,
-- gguf_builds and the header reader's choice of builds (catalog/gguf/refresh.py) all use it;
-- catalog/hub/quant.py reads the shard numbers from the same suffixes (a test ties the two).
CREATE OR REPLACE MACRO gguf_build_path(path) AS
    regexp_replace(regexp_replace(path, '-\d{5}-of-\d{5}\.gguf$', '.gguf', 'i'),
                   '\.gguf\.part\d+of\d+$', '.gguf', 'i');
