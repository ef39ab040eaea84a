-- Repeat detection reads `match_keys` since 2026-11-23; nothing looks applicants up by name
-- key any more, and the index cost every registration and import one B-tree insert at a
-- random place (a name key has no order of arrival).
DROP INDEX applicants_name_key;
