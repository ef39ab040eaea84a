// What every browser scenario shares: Debian's Chromium, the server's address and the test
// password from run.sh's environment, a named check, numbered screenshots, and signing in.
import { chromium } from 'playwright-core';

export const base = process.env.BASE_URL;
export const shots = process.env.SHOTS;
export const password = process.env.PASSWORD;
export const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

/** Fails the scenario with `what` unless `cond` holds; prints what held. */
export function check(cond, what) {
  if (!cond) throw new Error('FAILED: ' + what);
  console.log('ok: ' + what);
}

/** A numbered screenshot series: `prefix` keeps each scenario's files apart. */
export function shooter(first, prefix) {
  let n = first;
  const shot = async (page, name) => {
    n += 1;
    await page.screenshot({ path: `${shots}/${String(n).padStart(2, '0')}-${prefix}${name}.png`, fullPage: true });
  };
  shot.count = () => n - first;
  return shot;
}

/** Signs `login` in on a fresh browser context and waits for the board. */
export async function signIn(login) {
  const ctx = await browser.newContext({ locale: 'ru-RU' });
  const page = await ctx.newPage();
  await page.goto(base + '/');
  await page.getByLabel('Логин', { exact: true }).fill(login);
  await page.getByLabel('Пароль', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Ежедневный мониторинг' }).waitFor();
  return { ctx, page };
}

/** Registers a written letter on `page` from the registration form; returns its number. */
export async function registerLetter(page, name, summary) {
  await page.goto(base + '/appeals/new');
  await page.getByLabel('Дата поступления', { exact: true }).fill('2025-03-03');
  await page.getByLabel('ФИО заявителя', { exact: true }).fill(name);
  await page.getByLabel('Почтовый адрес', { exact: true }).fill('169300, г. Ухта, ул. Школьная, д. 3');
  await page.getByLabel('Краткое содержание', { exact: true }).fill(summary);
  await page.getByLabel('Вопрос', { exact: true }).fill('0003.0009.0097.0699');
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.getByText('Обращение зарегистрировано').waitFor();
  return (await page.locator('#reg-number').textContent()).trim();
}
