// A session that ends keeps the work: run against a server with `[web] session_minutes = 1`.
// The clerk fills the registration form, the session ends, «Зарегистрировать» shows the sign-in
// page with «введённые данные сохранены», and signing in brings the filled form back.
import { base, shots, password, browser, check, signIn } from './common.mjs';

try {
  const { page } = await signIn('clerk');
  await page.goto(base + '/appeals/new');
  const summary = 'Просит восстановить освещение во дворе дома 7 по ул. Мира';
  await page.getByLabel('ФИО заявителя', { exact: true }).fill('Орлова Мария Ивановна');
  await page.getByLabel('Почтовый адрес', { exact: true }).fill('169300, г. Ухта, ул. Мира, д. 7, кв. 3');
  await page.getByLabel('Краткое содержание', { exact: true }).fill(summary);
  await page.getByLabel('Вопрос', { exact: true }).fill('0003.0009.0097.0690');
  // The session (one minute here) ends while the clerk types.
  await page.waitForTimeout(62_000);
  await page.getByRole('button', { name: 'Зарегистрировать', exact: true }).click();
  await page.getByText('Сеанс истёк. Войдите снова — введённые данные сохранены.').waitFor();
  await page.screenshot({ path: `${shots}/expiry-1-sign-in.png`, fullPage: true });
  check(true, 'an expired session shows the sign-in page and keeps the form');
  await page.getByLabel('Пароль', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByText('Введённые данные восстановлены').waitFor();
  check(await page.getByLabel('Краткое содержание', { exact: true }).inputValue() === summary, 'the typed summary is back after signing in');
  check(await page.getByLabel('ФИО заявителя', { exact: true }).inputValue() === 'Орлова Мария Ивановна', 'and the applicant');
  await page.screenshot({ path: `${shots}/expiry-2-restored.png`, fullPage: true });
  await page.getByRole('button', { name: 'Зарегистрировать', exact: true }).click();
  await page.getByText('Обращение зарегистрировано').waitFor();
  check(true, 'registered once sent again');
  console.log('expiry scenario passed');
} finally {
  await browser.close();
}
