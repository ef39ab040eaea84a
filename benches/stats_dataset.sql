-- One year of a synthetic registry for the statistics benchmark (PostgreSQL): {n} appeals
-- registered from {start} every {step} seconds, ids and numbers prefixed by {tag} (one run of
-- this file per year). Every column the statistics read gets a realistic mix: eight channels,
-- written/electronic/oral forms, four kinds, six legal regimes, 2 % collective, 4 % repeated,
-- oral appeals at personal reception with the head or a deputy, 5 % forwarded, 3 % extended,
-- 70 % closed (answered, dispatched, closed), a few % returned and checked on site, control on
-- most; one question each plus a second on every tenth (~1.1 questions per appeal), with a
-- result on the finished ones; a responsible executor (of the bench_exec_* users) on 95 %.
-- registered_on is the Moscow date of registered_at, as the registry stores it.
INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective,
  anonymous, from_organization, summary, reply_channel, source_organization, reception_official, reception_official_role, reception_held_on,
  migration_case, late_registration, repeated, status, due_date, due_explanation, extension_days, extension_reason, extended_on,
  forwarded_to, forward_reason, forwarded_at, forward_late, put_on_control_at, answered_at, closed_at, returned_count, search_text, version, updated_at,
  answered_on, answer_sent_on, closed_on, documents_requested, on_site_check, by_commission, with_applicant)
SELECT '{tag}a' || i, '{org}', '{tag}-' || i, ts, (ts + interval '3 hours')::date, ts::date - (i % 3), ch, fm,
  (ARRAY['statement','complaint','proposal','other','statement','complaint','statement'])[1 + i % 7],
  CASE WHEN i % 50 = 1 THEN 'pos_message' WHEN i % 50 = 2 THEN 'dobrodel' WHEN i % 50 = 3 THEN 'gis_zhkh' WHEN i % 100 = 4 THEN 'info_request' WHEN i % 100 = 5 THEN 'other' ELSE 'fz59' END,
  i % 50 = 7, false, i % 40 = 9, 'Синтетическое обращение № ' || i, CASE WHEN fm = 'electronic' THEN 'email' ELSE 'post' END,
  CASE WHEN ch = 'forwarded' THEN (ARRAY['Администрация Главы Республики Коми','Прокуратура г. Ухты','Государственная жилищная инспекция','Минстрой Республики Коми'])[1 + i % 4] END,
  CASE WHEN fm = 'oral' THEN 'Должностное лицо ' || (i % 5) END,
  CASE WHEN fm = 'oral' THEN CASE WHEN i % 3 = 0 THEN 'head' ELSE 'deputy' END END,
  CASE WHEN fm = 'oral' THEN ts::date END,
  false, i % 60 = 11, i % 25 = 3,
  st, ts::date + 30 + CASE WHEN i % 33 = 5 THEN 30 ELSE 0 END, '{"text":"30 дней"}',
  CASE WHEN i % 33 = 5 THEN 30 END, CASE WHEN i % 33 = 5 THEN 'Запрошены документы' END, CASE WHEN i % 33 = 5 THEN ts::date + 20 END,
  CASE WHEN i % 20 = 13 THEN 'Государственная жилищная инспекция' END, CASE WHEN i % 20 = 13 THEN 'Вопросы не в компетенции' END,
  CASE WHEN i % 20 = 13 THEN ts + interval '3 days' END, i % 400 = 13,
  CASE WHEN fm = 'oral' AND i % 2 = 0 THEN NULL ELSE ts END,
  CASE WHEN st IN ('answered','closed') THEN ts + ans * interval '1 day' END,
  CASE WHEN st = 'closed' THEN ts + (ans + i % 3) * interval '1 day' END,
  CASE WHEN i % 70 = 17 THEN 1 + i % 2 ELSE 0 END, '{tag}-' || i || ' синтетическое обращение № ' || i, 1, ts,
  CASE WHEN st IN ('answered','closed') THEN ts::date + ans END,
  CASE WHEN st = 'closed' THEN ts::date + ans + i % 3 END,
  CASE WHEN st = 'closed' THEN ts::date + ans + i % 3 END,
  i % 30 = 19, i % 45 = 21, i % 90 = 23, i % 15 = 4
FROM (
  SELECT i, ts, ch,
    CASE WHEN ch = 'personal_reception' THEN CASE WHEN (i / 10) % 5 = 0 THEN 'written' ELSE 'oral' END
         WHEN ch IN ('internet_reception','email','feedback_platform','gis_zhkh') THEN 'electronic' ELSE 'written' END AS fm,
    -- Finished ones mostly; the year's last weeks still in work.
    CASE WHEN ts > timestamp '{start}' + interval '330 days' AND i % 3 <> 0 THEN (ARRAY['registered','in_work','answer_review','answered'])[1 + i % 4]
         ELSE (ARRAY['closed','closed','closed','closed','closed','closed','closed','in_work','answer_review','answered'])[1 + i % 10] END AS st,
    -- Days to the answer: most within the 30 days, some late.
    CASE WHEN i % 17 = 0 THEN 31 + i % 20 ELSE 3 + i % 27 END AS ans
  FROM (SELECT i, timestamp '{start}' + i * interval '{step} seconds' AS ts,
          (ARRAY['post','internet_reception','by_hand','email','forwarded','feedback_platform','gis_zhkh','personal_reception','internet_reception','post'])[1 + i % 10] AS ch
        FROM generate_series(1, {n}) AS i) g
) s;

INSERT INTO applicants (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, name_key, address_key, email_key)
SELECT '{tag}p' || i, '{org}', '{tag}a' || i, 0, false, 'Заявитель ' || (i % 300000), 'г. Ухта, д. ' || (i % 300000),
  'z' || (i % 300000) || '@example.ru', 'заявитель ' || (i % 300000), 'гухтад' || (i % 300000), 'z' || (i % 300000) || '@example.ru'
FROM generate_series(1, {n}) AS i;

-- Questions: position 0 on every appeal, position 1 on every tenth; a result once the appeal is answered.
INSERT INTO questions (id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on)
SELECT '{tag}q' || q.pos || '-' || q.i, '{org}', a.id, q.pos, c.codes[1 + (q.i * 7 + q.pos * 13) % array_length(c.codes, 1)],
  substr(c.codes[1 + (q.i * 7 + q.pos * 13) % array_length(c.codes, 1)], 1, 4), NULL,
  CASE WHEN a.answered_on IS NOT NULL THEN (ARRAY['explained','explained','explained','supported','supported_measures_taken','not_supported','answered','transferred'])[1 + q.i % 8] END,
  a.answered_on IS NOT NULL AND q.i % 4 = 0, a.answered_on
FROM (SELECT i, 0 AS pos FROM generate_series(1, {n}) AS i UNION ALL SELECT i, 1 FROM generate_series(10, {n}, 10) AS i) q
  JOIN appeals a ON a.id = '{tag}a' || q.i,
  (SELECT array_agg(code ORDER BY code) AS codes FROM (SELECT code FROM classifier WHERE level = 4 ORDER BY code LIMIT 1000) x) c;

INSERT INTO assignments (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_at)
SELECT '{tag}s' || i, '{org}', '{tag}a' || i, u.ids[1 + (i / 7) % array_length(u.ids, 1)], true, 'Для рассмотрения', true,
  timestamp '{start}' + i * interval '{step} seconds'
FROM generate_series(1, {n}) AS i,
  (SELECT array_agg(id ORDER BY login) AS ids FROM users WHERE login LIKE 'bench\_exec\_%') u
WHERE i % 20 <> 8;
