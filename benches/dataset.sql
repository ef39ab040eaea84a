-- Synthetic registry for benchmarks (PostgreSQL): :n appeals over two years, each with one
-- applicant and one question, 60% closed and the rest open or answered, assigned to :executors
-- executors (users bench_exec_1 … bench_exec_N, created by the caller), with their matching keys. Parameters are
-- substituted by the generator before it runs this file.
INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective,
  anonymous, from_organization, summary, reply_channel, migration_case, late_registration, repeated, status, due_date, due_explanation,
  forward_late, returned_count, search_text, version, updated_at, put_on_control_at)
SELECT md5('a' || i)::uuid::text, '{org}', 'ГЕН-' || i, ts, ts::date, ts::date,
  (ARRAY['post','internet_reception','by_hand','email','forwarded','feedback_platform','gis_zhkh'])[1 + i % 7],
  (ARRAY['written','electronic','oral'])[1 + i % 3], (ARRAY['statement','complaint','proposal','other'])[1 + i % 4], 'fz59', i % 50 = 0,
  false, false, 'Синтетическое обращение № ' || i, 'post', false, i % 40 = 0, i % 25 = 0,
  (ARRAY['closed','closed','closed','closed','closed','closed','in_work','answer_review','registered','answered'])[1 + i % 10],
  ts::date + 30, '{"text":"30 дней"}', false, 0, 'ген-' || i || ' синтетическое обращение № ' || i, 1, ts, ts
FROM (SELECT i, timestamp '{start}' + i * interval '{step} seconds' AS ts FROM generate_series(1, {n}) AS i) s;

INSERT INTO applicants (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, name_key, address_key, email_key)
SELECT md5('p' || i)::uuid::text, '{org}', md5('a' || i)::uuid::text, 0, false, 'Заявитель ' || (i % 300000), 'г. Ухта, д. ' || (i % 300000),
  'z' || (i % 300000) || '@example.ru', 'заявитель ' || (i % 300000), 'гухтад' || (i % 300000), 'z' || (i % 300000) || '@example.ru'
FROM generate_series(1, {n}) AS i;

INSERT INTO questions (id, organization_id, appeal_id, position, code, section, text, actions_taken)
SELECT md5('q' || i)::uuid::text, '{org}', md5('a' || i)::uuid::text, 0, c.codes[1 + i % array_length(c.codes, 1)],
  substr(c.codes[1 + i % array_length(c.codes, 1)], 1, 4), NULL, false
FROM generate_series(1, {n}) AS i,
  (SELECT array_agg(code ORDER BY code) AS codes FROM (SELECT code FROM classifier WHERE level = 4 ORDER BY code LIMIT 1000) x) c;

INSERT INTO assignments (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_at)
SELECT md5('s' || i)::uuid::text, '{org}', md5('a' || i)::uuid::text, u.ids[1 + (i / 10) % array_length(u.ids, 1)], true, 'Для рассмотрения', true,
  timestamp '{start}' + i * interval '{step} seconds'
FROM generate_series(1, {n}) AS i,
  (SELECT array_agg(id ORDER BY login) AS ids FROM users WHERE login LIKE 'bench\_exec\_%') u
WHERE i % 10 <> 8;

INSERT INTO match_keys (organization_id, match_key, code, registered_at, appeal_id)
SELECT '{org}', 'заявитель ' || (i % 300000) || k.sep || (CASE WHEN k.sep = '|a|' THEN 'гухтад' || (i % 300000) ELSE 'z' || (i % 300000) || '@example.ru' END),
  c.codes[1 + i % array_length(c.codes, 1)], timestamp '{start}' + i * interval '{step} seconds', md5('a' || i)::uuid::text
FROM generate_series(1, {n}) AS i, (VALUES ('|a|'), ('|e|')) AS k(sep),
  (SELECT array_agg(code ORDER BY code) AS codes FROM (SELECT code FROM classifier WHERE level = 4 ORDER BY code LIMIT 1000) x) c;

ANALYZE;
