-- The SQLite spelling of stats_dataset.sql (same mix, same parameters): recursive CTE for the
-- series, JSON arrays for the value lists, date()/datetime() for the arithmetic.
DROP TABLE IF EXISTS temp.bench_i;
CREATE TEMP TABLE bench_i AS WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) SELECT i FROM g;
DROP TABLE IF EXISTS temp.bench_codes;
CREATE TEMP TABLE bench_codes (k INTEGER PRIMARY KEY, code TEXT NOT NULL);
INSERT INTO bench_codes (k, code) SELECT row_number() OVER (ORDER BY code) - 1, code FROM (SELECT code FROM classifier WHERE level = 4 ORDER BY code LIMIT 1000);
DROP TABLE IF EXISTS temp.bench_execs;
CREATE TEMP TABLE bench_execs (k INTEGER PRIMARY KEY, id TEXT NOT NULL);
INSERT INTO bench_execs (k, id) SELECT row_number() OVER (ORDER BY login) - 1, id FROM users WHERE login LIKE 'bench\_exec\_%' ESCAPE '\';

INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective,
  anonymous, from_organization, summary, reply_channel, source_organization, reception_official, reception_official_role, reception_held_on,
  migration_case, late_registration, repeated, status, due_date, due_explanation, extension_days, extension_reason, extended_on,
  forwarded_to, forward_reason, forwarded_at, forward_late, put_on_control_at, answered_at, closed_at, returned_count, search_text, version, updated_at,
  answered_on, answer_sent_on, closed_on, documents_requested, on_site_check, by_commission, with_applicant)
SELECT '{tag}a' || i, '{org}', '{tag}-' || i, ts, date(ts, '+3 hours'), date(ts, '-' || (i % 3) || ' days'), ch, fm,
  json_extract('["statement","complaint","proposal","other","statement","complaint","statement"]', '$[' || (i % 7) || ']'),
  CASE WHEN i % 50 = 1 THEN 'pos_message' WHEN i % 50 = 2 THEN 'dobrodel' WHEN i % 50 = 3 THEN 'gis_zhkh' WHEN i % 100 = 4 THEN 'info_request' WHEN i % 100 = 5 THEN 'other' ELSE 'fz59' END,
  i % 50 = 7, 0, i % 40 = 9, 'Синтетическое обращение № ' || i, CASE WHEN fm = 'electronic' THEN 'email' ELSE 'post' END,
  CASE WHEN ch = 'forwarded' THEN json_extract('["Администрация Главы Республики Коми","Прокуратура г. Ухты","Государственная жилищная инспекция","Минстрой Республики Коми"]', '$[' || (i % 4) || ']') END,
  CASE WHEN fm = 'oral' THEN 'Должностное лицо ' || (i % 5) END,
  CASE WHEN fm = 'oral' THEN CASE WHEN i % 3 = 0 THEN 'head' ELSE 'deputy' END END,
  CASE WHEN fm = 'oral' THEN date(ts) END,
  0, i % 60 = 11, i % 25 = 3,
  st, date(ts, '+' || (30 + CASE WHEN i % 33 = 5 THEN 30 ELSE 0 END) || ' days'), '{"text":"30 дней"}',
  CASE WHEN i % 33 = 5 THEN 30 END, CASE WHEN i % 33 = 5 THEN 'Запрошены документы' END, CASE WHEN i % 33 = 5 THEN date(ts, '+20 days') END,
  CASE WHEN i % 20 = 13 THEN 'Государственная жилищная инспекция' END, CASE WHEN i % 20 = 13 THEN 'Вопросы не в компетенции' END,
  CASE WHEN i % 20 = 13 THEN datetime(ts, '+3 days') END, i % 400 = 13,
  CASE WHEN fm = 'oral' AND i % 2 = 0 THEN NULL ELSE ts END,
  CASE WHEN st IN ('answered','closed') THEN datetime(ts, '+' || ans || ' days') END,
  CASE WHEN st = 'closed' THEN datetime(ts, '+' || (ans + i % 3) || ' days') END,
  CASE WHEN i % 70 = 17 THEN 1 + i % 2 ELSE 0 END, '{tag}-' || i || ' синтетическое обращение № ' || i, 1, ts,
  CASE WHEN st IN ('answered','closed') THEN date(ts, '+' || ans || ' days') END,
  CASE WHEN st = 'closed' THEN date(ts, '+' || (ans + i % 3) || ' days') END,
  CASE WHEN st = 'closed' THEN date(ts, '+' || (ans + i % 3) || ' days') END,
  i % 30 = 19, i % 45 = 21, i % 90 = 23, i % 15 = 4
FROM (
  SELECT i, ts, ch,
    CASE WHEN ch = 'personal_reception' THEN CASE WHEN (i / 10) % 5 = 0 THEN 'written' ELSE 'oral' END
         WHEN ch IN ('internet_reception','email','feedback_platform','gis_zhkh') THEN 'electronic' ELSE 'written' END AS fm,
    CASE WHEN ts > datetime('{start}', '+330 days') AND i % 3 <> 0 THEN json_extract('["registered","in_work","answer_review","answered"]', '$[' || (i % 4) || ']')
         ELSE json_extract('["closed","closed","closed","closed","closed","closed","closed","in_work","answer_review","answered"]', '$[' || (i % 10) || ']') END AS st,
    CASE WHEN i % 17 = 0 THEN 31 + i % 20 ELSE 3 + i % 27 END AS ans
  FROM (SELECT i, datetime('{start}', '+' || (i * {step}) || ' seconds') AS ts,
          json_extract('["post","internet_reception","by_hand","email","forwarded","feedback_platform","gis_zhkh","personal_reception","internet_reception","post"]', '$[' || (i % 10) || ']') AS ch
        FROM bench_i) g
) s;

INSERT INTO applicants (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, name_key, address_key, email_key)
SELECT '{tag}p' || i, '{org}', '{tag}a' || i, 0, 0, 'Заявитель ' || (i % 300000), 'г. Ухта, д. ' || (i % 300000),
  'z' || (i % 300000) || '@example.ru', 'заявитель ' || (i % 300000), 'гухтад' || (i % 300000), 'z' || (i % 300000) || '@example.ru'
FROM bench_i;

INSERT INTO questions (id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on)
SELECT '{tag}q' || q.pos || '-' || q.i, '{org}', a.id, q.pos, c.code, substr(c.code, 1, 4), NULL,
  CASE WHEN a.answered_on IS NOT NULL THEN json_extract('["explained","explained","explained","supported","supported_measures_taken","not_supported","answered","transferred"]', '$[' || (q.i % 8) || ']') END,
  a.answered_on IS NOT NULL AND q.i % 4 = 0, a.answered_on
FROM (SELECT i, 0 AS pos FROM bench_i UNION ALL SELECT i, 1 FROM bench_i WHERE i % 10 = 0) q
  JOIN appeals a ON a.id = '{tag}a' || q.i
  JOIN bench_codes c ON c.k = (q.i * 7 + q.pos * 13) % (SELECT COUNT(*) FROM bench_codes);

INSERT INTO assignments (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_at)
SELECT '{tag}s' || i, '{org}', '{tag}a' || i, u.id, 1, 'Для рассмотрения', 1, datetime('{start}', '+' || (i * {step}) || ' seconds')
FROM bench_i JOIN bench_execs u ON u.k = (i / 7) % (SELECT COUNT(*) FROM bench_execs)
WHERE i % 20 <> 8;
