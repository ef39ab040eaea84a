-- The rollup is rebuilt on the next start either way; nothing to undo.
SELECT 1;
