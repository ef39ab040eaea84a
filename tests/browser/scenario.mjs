// The web pages in Debian's Chromium: a clerk registers a forwarded letter with two questions
// and finds it by surname; a supervisor assigns it; the executor answers; the supervisor
// approves; the clerk sends the answer and the appeal leaves control. A wrong password, a form
// without its CSRF token, an empty applicant and an ended session are refused; Back and submit
// registers nothing twice.
// Screenshots of every page go to $SHOTS. Run by tests/browser/run.sh against `appeals serve`.
import { base, shots, password, browser, check, signIn, shooter } from './common.mjs';

const shot = shooter(0, '');

try {
  // A wrong password is refused.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(base + '/');
    await shot(page, 'login');
    await page.getByLabel('Логин', { exact: true }).fill('clerk');
    await page.getByLabel('Пароль', { exact: true }).fill('не тот пароль');
    await page.getByRole('button', { name: 'Войти' }).click();
    check(await page.getByText('Неверный логин или пароль').isVisible(), 'wrong password refused');
    await shot(page, 'wrong-password');
    await ctx.close();
  }

  // The clerk registers a forwarded letter with two questions, from the keyboard where it matters.
  const clerk = await signIn('clerk');
  let page = clerk.page;
  await shot(page, 'board-clerk');
  await page.goto(base + '/appeals/new');
  await page.getByLabel('Канал поступления', { exact: true }).selectOption('forwarded');
  await page.getByLabel('Форма обращения', { exact: true }).selectOption('written');
  await page.getByLabel('Вид обращения', { exact: true }).selectOption('complaint');
  await page.getByLabel('Дата поступления', { exact: true }).fill('2025-03-03');
  await page.getByLabel('Орган, направивший обращение').fill('Прокуратура Республики Коми');
  await page.getByLabel('Номер сопроводительного письма').fill('7-12-2025');
  await page.getByLabel('ФИО заявителя', { exact: true }).fill('Лебедева Анна Сергеевна');
  await page.getByLabel('Почтовый адрес', { exact: true }).fill('169300, г. Ухта, ул. Ленина, д. 5, кв. 1');
  await page.getByLabel('Электронная почта', { exact: true }).fill('lebedeva@example.ru');
  await page.getByLabel('Краткое содержание', { exact: true }).fill('Просит отремонтировать тротуар и осветить двор');
  await page.getByLabel('Вопрос', { exact: true }).fill('0003.0009.0097.0699');
  await page.getByRole('button', { name: 'Добавить вопрос' }).click();
  check(await page.getByLabel('Орган, направивший обращение').inputValue() === 'Прокуратура Республики Коми', 'typed values kept when a question row is added');
  await page.getByLabel('Вопрос 2', { exact: true }).fill('уличное освещение');
  await shot(page, 'registration-form');
  const registering = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/appeals/new'));
  await page.getByLabel('Вопрос 2', { exact: true }).press('Enter');
  const posted = (await registering).postData();
  await page.getByText('Обращение зарегистрировано').waitFor();
  const regNumber = (await page.locator('#reg-number').textContent()).trim();
  check(/^ОГ-\d{4}-\d{6}$/.test(regNumber), 'registered as ' + regNumber);
  const cardUrl = page.url().split('?')[0];
  await shot(page, 'card-registered');

  // Back and «Зарегистрировать» again sends the very same form once more (what Chromium
  // does when the clerk confirms the resubmission): the first card opens, nothing new.
  const again = await page.request.post(base + '/appeals/new', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: posted, maxRedirects: 0 });
  check(again.status() === 303 && again.headers()['location'].endsWith('?done=already'), 'the same form posted twice registers once (' + again.status() + ')');
  await page.goto(base + again.headers()['location']);
  await page.getByText('Это обращение уже зарегистрировано').waitFor();
  check((await page.locator('#reg-number').textContent()).trim() === regNumber, 'and opens the first card');
  await shot(page, 'card-already-registered');

  // A written letter without the applicant's name: refused, the field named at the top and beside it.
  await page.goto(base + '/appeals/new');
  await page.getByLabel('Краткое содержание', { exact: true }).fill('Просит убрать мусор во дворе');
  await page.getByLabel('Вопрос', { exact: true }).fill('0005.0005.0056.1161');
  await page.getByRole('button', { name: 'Зарегистрировать', exact: true }).click();
  const topLink = page.locator('#error-summary a[href="#full_name_0"]');
  await topLink.waitFor();
  check((await topLink.textContent()).startsWith('ФИО заявителя: обязательное поле'), 'empty applicant named in the list at the top');
  check(await page.locator('#err-full_name_0').isVisible(), 'and beside the field');
  await topLink.click();
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'full_name_0', 'the link puts the cursor into the field');
  await shot(page, 'registration-errors');

  // A form without its CSRF token is refused (same cookies, no token).
  const forged = await page.request.post(base + '/appeals/new', { form: { go: 'register', channel: 'post', summary: 'x' }, maxRedirects: 0 });
  check(forged.status() === 403, 'form without CSRF token refused (' + forged.status() + ')');

  // Found in the registry by surname.
  await page.goto(base + '/appeals');
  await page.getByLabel('Поиск', { exact: true }).fill('лебедева');
  await page.getByRole('button', { name: 'Найти' }).click();
  check(await page.getByRole('link', { name: regNumber }).isVisible(), 'found by surname in the registry');
  await shot(page, 'registry-search');

  // The supervisor assigns the executor.
  const sup = await signIn('supervisor');
  page = sup.page;
  await shot(page, 'board-supervisor');
  await page.goto(cardUrl);
  await page.getByLabel('Ответственный исполнитель').selectOption({ label: 'Исполнитель Иванов (Исполнитель)' });
  await page.getByLabel('Поручение').fill('Подготовить ответ');
  await shot(page, 'card-assign');
  await page.getByRole('button', { name: 'Назначить' }).click();
  await page.getByText('Готово').waitFor();

  // The executor answers from «Мои поручения».
  const ex = await signIn('executor');
  page = ex.page;
  await page.goto(base + '/me');
  await shot(page, 'my-assignments');
  check(await page.getByRole('cell', { name: /Подготовить ответ/ }).isVisible(), 'the resolution in «Мои поручения»');
  await page.getByRole('link', { name: regNumber }).click();
  check(await page.getByRole('button', { name: 'Назначить' }).count() === 0, 'executor sees no assign form');
  check((await page.locator('#resolution + dd').textContent()).includes('Подготовить ответ'), 'the executor reads the resolution on the card');
  await page.getByLabel('Текст ответа').fill('Ремонт тротуара включён в план на май; освещение восстановлено.');
  await page.getByLabel('Результат по вопросу 0003.0009.0097.0699').selectOption('explained');
  await page.getByLabel('Результат по вопросу 0003.0009.0097.0690').selectOption('supported');
  await shot(page, 'card-answer');
  await page.getByRole('button', { name: 'Представить ответ' }).click();
  await page.getByText('Готово').waitFor();

  // The supervisor reads the answer and its results, approves; the appeal stays on control
  // until the answer is sent, then leaves it.
  page = sup.page;
  await page.goto(cardUrl);
  check((await page.locator('#answer-under-review').textContent()).includes('Рассмотрено. Поддержано'), 'results shown on the approval form');
  await page.getByRole('button', { name: 'Утвердить' }).click();
  await page.getByText('Ответ утверждён, ожидает отправки').first().waitFor();
  check(true, 'approved, still on control');
  await shot(page, 'card-approved');
  await page.getByRole('button', { name: 'Отправлено' }).click();
  await page.getByText('Снято с контроля').first().waitFor();
  check(true, 'sent and removed from control');
  await shot(page, 'card-sent');
  await page.goto(cardUrl + '/print');
  await shot(page, 'print');
  // The default period (this year to today) holds the letter just registered: charts drawn.
  await page.goto(base + '/statistics');
  check(await page.locator('figure svg').count() === 2, 'statistics draws the channel and section charts');
  await shot(page, 'statistics');

  // An ended session is refused: sign out, then come back with the old cookie.
  const cookies = await clerk.ctx.cookies();
  await clerk.page.goto(base + '/');
  await clerk.page.getByRole('button', { name: 'Выйти' }).click();
  await clerk.ctx.addCookies(cookies);
  await clerk.page.goto(base + '/appeals');
  check(await clerk.page.getByText('Сеанс завершён или истёк').isVisible(), 'ended session refused');
  await shot(clerk.page, 'session-ended');
  console.log(`browser scenario passed; ${shot.count()} screenshots in ${shots}`);
} finally {
  await browser.close();
}
