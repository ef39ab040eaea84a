// The region in Debian's Chromium: a town's clerk registers a letter in the town; the region's
// supervisor forwards another from its card to the town, picked from the organizations of the
// instance, and the card then shows the town's registration; the regional supervisor picks the
// town in the header and reads its registry, then the statistics of the whole region with its
// table by organization. Run by tests/browser/run.sh after bulk.mjs; screenshots go to $SHOTS.
import { base, browser, check, signIn, shooter, registerLetter } from './common.mjs';

const shot = shooter(70, 'region-');
const town = 'Администрация городского округа «Ухта»';


try {
  const townClerk = await signIn('town_clerk');
  await registerLetter(townClerk.page, 'Морозова Анна Сергеевна', 'Просит отремонтировать крышу дома на ул. Мира');

  // Forwarded from the card to the town: the form offers the organizations of the instance.
  const clerk = await signIn('clerk');
  const number = await registerLetter(clerk.page, 'Волков Игорь Петрович', 'Просит убрать свалку за гаражами');
  const sup = await signIn('supervisor');
  await sup.page.goto(base + '/appeals?q=' + encodeURIComponent('волков'));
  await sup.page.getByRole('link', { name: number, exact: true }).click();
  const form = sup.page.locator('form[data-action="forward"]');
  await form.getByLabel('Организация в системе', { exact: true }).selectOption({ label: town });
  await form.getByLabel('Основание', { exact: true }).fill('Вопрос относится к ведению городского округа');
  await form.getByRole('button', { name: 'Направить' }).click();
  await sup.page.locator('#receiver').waitFor();
  const receiver = await sup.page.locator('#receiver').textContent();
  check(/рег\. № ОГ-/.test(receiver), 'the card shows the town\'s registration: ' + receiver.trim().split(',')[0]);
  await shot(sup.page, 'forwarded-card');

  // The regional supervisor: the town picked in the header, its registry.
  const { page } = await signIn('regional');
  await page.getByLabel('Организация', { exact: true }).first().selectOption({ label: town });
  await page.getByRole('button', { name: 'Перейти' }).click();
  await page.goto(base + '/appeals');
  const registry = await page.locator('main').textContent();
  check(registry.includes('крышу дома') && registry.includes('свалку за гаражами'), 'the town\'s registry: its own letter and the forwarded one');
  check(!registry.includes('убрать снег'), 'nothing of the region\'s own registry');
  await shot(page, 'town-registry');

  // The whole region's statistics, with the table by organization.
  await page.goto(base + '/statistics');
  await page.locator('#organization').selectOption('all');
  await page.getByRole('button', { name: 'Показать' }).click();
  const table = page.locator('#by-organization');
  await table.waitFor();
  const rows = await table.locator('tbody tr').count();
  check(rows >= 2, 'the region\'s table lists ' + rows + ' organizations');
  check((await table.textContent()).includes(town), 'the town is among them');
  await shot(page, 'region-statistics');
  console.log('region scenario passed; screenshots in ' + process.env.SHOTS);
  await browser.close();
} catch (e) {
  console.error(e);
  await browser.close();
  process.exit(1);
}
