// Bulk actions in Debian's Chromium, by keyboard: a clerk registers two letters; a supervisor
// ticks them and the appeal `scenario.mjs` closed on the registry, presses «Назначить», fills
// the resolution once, and reads the result page: two done, one refused with its reason in
// Russian and a link to its card. The executor then finds both in «Мои поручения», without
// checkboxes. Run by tests/browser/run.sh after scenario.mjs; screenshots go to $SHOTS.
import { base, shots, password, browser, check, signIn, shooter, registerLetter } from './common.mjs';

const shot = shooter(50, 'bulk-');

try {
  const clerk = await signIn('clerk');
  const first = await registerLetter(clerk.page, 'Зайцева Нина Петровна', 'Просит убрать снег во дворе');
  const second = await registerLetter(clerk.page, 'Зайцев Олег Игоревич', 'Просит починить скамейку во дворе');
  // The appeal scenario.mjs approved and closed: refused in the batch.
  await clerk.page.goto(base + '/appeals?q=' + encodeURIComponent('лебедева'));
  const closed = (await clerk.page.locator('table a').first().textContent()).trim();
  check(/^ОГ-/.test(closed), 'the closed appeal is ' + closed);

  const sup = await signIn('supervisor');
  const page = sup.page;
  await page.goto(base + '/appeals');
  await shot(page, 'registry');
  // Ticked from the keyboard: focus a checkbox, Space.
  for (const number of [first, second, closed]) {
    const box = page.getByLabel('Отметить ' + number, { exact: true });
    await box.focus();
    await page.keyboard.press('Space');
    check(await box.isChecked(), 'ticked ' + number);
  }
  await shot(page, 'ticked');
  await page.getByRole('button', { name: 'Назначить', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Назначить — отмечено обращений: 3/ }).waitFor();
  check(await page.getByLabel(first).isChecked(), 'the form lists the chosen appeals');
  await page.getByLabel('Ответственный исполнитель').selectOption({ label: 'Исполнитель Иванов (Исполнитель)' });
  await page.getByLabel('Поручение').fill('Рассмотреть и подготовить ответ');
  await shot(page, 'form');
  await page.getByRole('button', { name: 'Назначить', exact: true }).press('Enter');
  await page.getByRole('heading', { name: 'Назначить: результат' }).waitFor();
  check((await page.locator('#done-count').textContent()) === '2', 'two assigned');
  check((await page.locator('#refused-count').textContent()) === '1', 'one refused');
  check(await page.locator('#done').getByRole('link', { name: first }).isVisible(), first + ' done, linked');
  check(await page.locator('#done').getByRole('link', { name: second }).isVisible(), second + ' done, linked');
  const refusal = page.locator('#refused tr', { hasText: closed });
  check((await refusal.textContent()).includes('в состоянии «Снято с контроля» это действие невозможно'), 'the refusal says why, in Russian');
  await shot(page, 'result');
  await refusal.getByRole('link', { name: closed }).click();
  check((await page.locator('#reg-number').textContent()).trim() === closed, 'the refusal links to its card');

  const ex = await signIn('executor');
  await ex.page.goto(base + '/me');
  for (const number of [first, second]) {
    check(await ex.page.getByRole('link', { name: number }).isVisible(), number + ' in «Мои поручения»');
  }
  check(await ex.page.locator('input[type=checkbox][name=id]').count() === 0, 'no checkboxes for an executor');
  await shot(ex.page, 'my-assignments');
  console.log(`bulk scenario passed; screenshots in ${shots}`);
} finally {
  await browser.close();
}
