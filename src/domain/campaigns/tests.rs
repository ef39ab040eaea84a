use super::*;
use std::collections::HashMap;

/// A small fixed random stream, so the generated set is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        splitmix(&mut self.0)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Campaign templates: what a local group's post asks everyone to send.
const TEMPLATES: &[&[&str]] = &[
    &[
        "Во дворе дома на улице Строителей третий год не ремонтируют асфальт и тротуары.",
        "После дождя между подъездами стоят глубокие лужи, пожилым людям не пройти.",
        "Детская площадка сломана, качели и горка опасны для детей.",
        "Управляющая компания на заявки жильцов не отвечает.",
        "Просим включить двор в программу благоустройства на следующий год.",
    ],
    &[
        "Маршрут автобуса номер двенадцать отменили без предупреждения жителей посёлка.",
        "Теперь до поликлиники и школы приходится идти пешком по обочине трассы.",
        "Дети опаздывают на уроки, пенсионеры не могут попасть к врачу.",
        "Перевозчик ссылается на убыточность рейса и отсутствие пассажиров.",
        "Просим восстановить маршрут хотя бы в утренние и вечерние часы.",
    ],
    &[
        "Возле садовых товариществ за рекой образовалась стихийная свалка мусора.",
        "Строительные отходы и покрышки привозят грузовики по ночам.",
        "Летом свалка горит, дым накрывает жилые кварталы и детский сад.",
        "Обращения в региональному оператору по обращению с отходами остались без результата.",
        "Просим ликвидировать свалку и установить шлагбаум на въезде.",
    ],
    &[
        "В многоквартирном доме по проспекту Мира с начала отопительного сезона холодные батареи.",
        "Температура в квартирах не поднимается выше шестнадцати градусов.",
        "Теплоснабжающая организация проводит замеры и ничего не меняет.",
        "Жильцы вынуждены пользоваться обогревателями и платить за электроэнергию.",
        "Просим провести проверку и обязать организацию наладить теплоснабжение и сделать перерасчёт.",
    ],
    &[
        "Дорога от кольцевой развязки до кладбища разбита грузовым транспортом.",
        "Ямы глубиной до двадцати сантиметров, машины повреждают подвеску и колёса.",
        "Освещение вдоль дороги не работает, пешеходного перехода нет.",
        "Весной дорогу размывает талыми водами, автобус объезжает её через лес.",
        "Просим провести капитальный ремонт дороги и установить освещение.",
    ],
    &[
        "Собаки без хозяев стаями бегают по микрорайону у железнодорожной станции.",
        "Нападают на прохожих и школьников, несколько детей покусаны.",
        "Отлов животных по заявкам не проводится уже полгода.",
        "Жители боятся выпускать детей гулять и выходить вечером.",
        "Просим организовать отлов безнадзорных собак и приют для них.",
    ],
];

const REQUESTS: &[&str] = &["Просим", "Прошу", "Требуем", "Убедительно просим", "Очень просим вас"];
const GREETINGS: &[&str] = &["Здравствуйте!", "Уважаемый глава администрации!", "Добрый день.", "Уважаемый Игорь Петрович!", ""];
const CLOSINGS: &[&str] = &["Заранее спасибо.", "Надеемся на вашу помощь.", "С уважением, жители.", "Прошу дать письменный ответ.", ""];
const OWN: &[&str] = &[
    "Я живу здесь с рождения и такого не помню.",
    "У меня двое маленьких детей.",
    "Мой отец инвалид и почти не выходит из дома.",
    "Писала уже в прошлом году, ответа не было.",
    "Соседи подписались бы тоже.",
];
const STREETS: &[&str] = &["ул. Ленина", "ул. Гагарина", "пр. Космонавтов", "ул. Школьная", "ул. Советская", "ул. Заречная"];

/// Unrelated letters on the same subjects: the same vocabulary, written by each person alone.
const OPENINGS: &[&str] = &[
    "Обращаюсь по поводу",
    "Хочу сообщить о проблеме:",
    "Прошу разобраться, в чём причина:",
    "Третий месяц не могу добиться решения вопроса,",
    "Жалуюсь на бездействие:",
    "Довожу до вашего сведения:",
];
const PROBLEMS: &[&str] = &[
    "ямы на дороге у моего гаража",
    "отсутствие освещения на остановке",
    "слив канализации в подвал нашего дома",
    "шум от кафе на первом этаже по ночам",
    "сломанная скамейка у подъезда",
    "неубранный снег на крыше, висят сосульки",
    "автобус приходит переполненным и не останавливается",
    "протечка крыши над моей квартирой после дождя",
    "мусорные контейнеры не вывозят неделю",
    "в школе сына холодно в спортивном зале",
    "собака соседа лает круглые сутки",
    "тротуар занят машинами, пройти с коляской нельзя",
    "в подъезде не работает лифт",
    "в поликлинике нет записи к терапевту",
];
const DETAILS: &[&str] = &[
    "Звонил в диспетчерскую, обещали приехать, никто не пришёл.",
    "Управляющая компания отвечает, что это не их зона.",
    "Фотографии прилагаю.",
    "Из-за этого болеет ребёнок.",
    "Вопрос касается только нашего дома.",
    "Готов встретиться и показать на месте.",
    "Ранее писал в прокуратуру.",
    "Прошу сообщить сроки устранения.",
    "Соседи жаловались устно.",
    "Ситуация повторяется каждую осень.",
];

const WHO: &[&str] = &[
    "Пишу от имени матери, ей восемьдесят лет.",
    "Я пенсионер, ветеран труда.",
    "Работаю медсестрой в больнице посменно.",
    "У нас в семье трое детей.",
    "Мы с мужем переехали сюда весной.",
    "Я председатель совета дома.",
    "Сам инвалид второй группы, передвигаюсь с тростью.",
    "Учусь в техникуме, живу в общежитии.",
];
const SINCE: &[&str] = &[
    "Длится это с прошлого лета.",
    "Началось после ремонта теплотрассы.",
    "Так продолжается уже два года.",
    "Заметили неделю назад.",
    "С зимы ничего не изменилось.",
    "Раньше такого никогда не было.",
    "Каждый вечер одно и то же.",
];

/// Makes a typo in one word: two neighbouring letters swapped.
fn typo(rng: &mut Rng, sentence: &str) -> String {
    let mut words: Vec<String> = sentence.split(' ').map(str::to_string).collect();
    let i = rng.below(words.len());
    let mut chars: Vec<char> = words[i].chars().collect();
    if chars.len() > 4 {
        let j = 1 + rng.below(chars.len() - 3);
        chars.swap(j, j + 1);
        words[i] = chars.into_iter().collect();
    }
    words.join(" ")
}

/// One signatory's letter after a template: sentences in a new order, a greeting, a closing,
/// a sentence of their own, a typo or two, a sentence sometimes left out, their own address.
fn variant(rng: &mut Rng, template: &[&str]) -> String {
    let mut sentences: Vec<String> = template.iter().map(|s| s.to_string()).collect();
    if rng.chance(30) {
        let i = rng.below(sentences.len());
        sentences.remove(i);
    }
    if rng.chance(50) {
        let i = rng.below(sentences.len());
        let j = rng.below(sentences.len());
        sentences.swap(i, j);
    }
    for _ in 0..1 + rng.below(2) {
        let i = rng.below(sentences.len());
        sentences[i] = typo(rng, &sentences[i]);
    }
    // Reworded: two neighbouring words of a sentence in the other order, the request in other words.
    if rng.chance(50) {
        let i = rng.below(sentences.len());
        let mut words: Vec<&str> = sentences[i].split(' ').collect();
        if words.len() > 2 {
            let j = rng.below(words.len() - 1);
            words.swap(j, j + 1);
        }
        sentences[i] = words.join(" ");
    }
    let request = REQUESTS[rng.below(REQUESTS.len())];
    for s in sentences.iter_mut() {
        if let Some(rest) = s.strip_prefix("Просим ") {
            *s = format!("{request} {rest}");
        }
    }
    if rng.chance(30) {
        sentences.insert(rng.below(sentences.len()), OWN[rng.below(OWN.len())].to_string());
    }
    let address = format!("Проживаю по адресу: {}, д. {}, кв. {}.", STREETS[rng.below(STREETS.len())], 1 + rng.below(60), 1 + rng.below(200));
    format!("{} {} {} {}", GREETINGS[rng.below(GREETINGS.len())], sentences.join(" "), address, CLOSINGS[rng.below(CLOSINGS.len())])
}

/// A letter nobody else sent; one in three on a campaign's subject, quoting one of its sentences.
fn unrelated(rng: &mut Rng) -> String {
    let quoted = if rng.chance(33) {
        let t = TEMPLATES[rng.below(TEMPLATES.len())];
        t[rng.below(t.len())]
    } else {
        ""
    };
    let mut details = vec![DETAILS[rng.below(DETAILS.len())]];
    let second = DETAILS[rng.below(DETAILS.len())];
    if second != details[0] {
        details.push(second);
    }
    let address = format!("Мой адрес: {}, д. {}.", STREETS[rng.below(STREETS.len())], 1 + rng.below(60));
    let (who, since) = (WHO[rng.below(WHO.len())], SINCE[rng.below(SINCE.len())]);
    format!(
        "{} {} {} {} {} {} {} {} {}",
        GREETINGS[rng.below(GREETINGS.len())],
        quoted,
        OPENINGS[rng.below(OPENINGS.len())],
        PROBLEMS[rng.below(PROBLEMS.len())],
        who,
        since,
        details.join(" "),
        address,
        CLOSINGS[rng.below(CLOSINGS.len())]
    )
}

/// The generated set: 6 campaigns of 20–80 letters each, 400 unrelated letters, shuffled;
/// each letter with its true campaign (`None` for an unrelated one).
fn generated() -> Vec<(String, Option<usize>)> {
    let mut rng = Rng(20261207);
    let mut out = Vec::new();
    for (t, template) in TEMPLATES.iter().enumerate() {
        for _ in 0..20 + rng.below(61) {
            out.push((variant(&mut rng, template), Some(t)));
        }
    }
    for _ in 0..400 {
        out.push((unrelated(&mut rng), None));
    }
    for i in (1..out.len()).rev() {
        let j = rng.below(i + 1);
        out.swap(i, j);
    }
    out
}

/// Groups the letters in arrival order as registration does: buckets kept in a map, the
/// decision by [`decide`]. Returns each letter's campaign number, if any.
fn group(letters: &[(String, Option<usize>)], threshold: f64) -> Vec<Option<usize>> {
    let mut buckets: HashMap<(usize, i64), Vec<usize>> = HashMap::new();
    let mut signatures: Vec<Option<Signature>> = Vec::new();
    let mut campaign: Vec<Option<usize>> = Vec::new();
    let mut campaigns = 0;
    for (i, (text, _)) in letters.iter().enumerate() {
        let sig = signature(text);
        let mut assigned = None;
        if let Some(sig) = &sig {
            let mut found: Vec<usize> = sig.buckets().iter().enumerate().flat_map(|(b, k)| buckets.get(&(b, *k)).cloned().unwrap_or_default()).collect();
            found.sort_unstable();
            found.dedup();
            let candidates: Vec<Candidate<usize>> = found
                .iter()
                .map(|&j| Candidate { appeal: j, campaign: campaign[j], signature: signatures[j].clone().expect("bucketed letters have signatures") })
                .collect();
            assigned = match decide(sig, &candidates, threshold) {
                Grouping::Alone => None,
                Grouping::Start { with } => {
                    campaigns += 1;
                    for j in with {
                        campaign[j] = Some(campaigns);
                    }
                    Some(campaigns)
                }
                Grouping::Join { campaign: target, merge, add } => {
                    for c in campaign.iter_mut() {
                        if c.is_some_and(|c| merge.contains(&c)) {
                            *c = Some(target);
                        }
                    }
                    for j in add {
                        campaign[j] = Some(target);
                    }
                    Some(target)
                }
            };
            for (b, k) in sig.buckets().iter().enumerate() {
                buckets.entry((b, *k)).or_default().push(i);
            }
        }
        signatures.push(sig);
        campaign.push(assigned);
    }
    campaign
}

/// Pairwise precision and recall of the grouping against the truth.
fn quality(truth: &[Option<usize>], found: &[Option<usize>]) -> (f64, f64) {
    let (mut both, mut found_pairs, mut true_pairs) = (0u64, 0u64, 0u64);
    for i in 0..truth.len() {
        for j in i + 1..truth.len() {
            let t = truth[i].is_some() && truth[i] == truth[j];
            let f = found[i].is_some() && found[i] == found[j];
            both += u64::from(t && f);
            found_pairs += u64::from(f);
            true_pairs += u64::from(t);
        }
    }
    (both as f64 / found_pairs.max(1) as f64, both as f64 / true_pairs.max(1) as f64)
}

#[test]
fn campaigns_are_found_with_the_precision_and_recall_promised() {
    let letters = generated();
    let truth: Vec<Option<usize>> = letters.iter().map(|(_, t)| *t).collect();
    for t in [0.4, 0.6] {
        let (p, r) = quality(&truth, &group(&letters, t));
        println!("threshold {t}: precision {p:.3}, recall {r:.3}");
    }
    let found = group(&letters, DEFAULT_THRESHOLD);
    let (precision, recall) = quality(&truth, &found);
    println!("generated set: {} letters, precision {precision:.3}, recall {recall:.3} at threshold {DEFAULT_THRESHOLD}", letters.len());
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.90, "recall {recall:.3}");
}

#[test]
fn one_template_reworded_stays_similar_and_another_subject_does_not() {
    let mut rng = Rng(7);
    let same: Vec<Signature> = (0..20).map(|_| signature(&variant(&mut rng, TEMPLATES[0])).unwrap()).collect();
    let other: Vec<Signature> = (0..20).map(|_| signature(&variant(&mut rng, TEMPLATES[4])).unwrap()).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let within: Vec<f64> = same.iter().enumerate().flat_map(|(i, a)| same[i + 1..].iter().map(|b| a.similarity(b))).collect();
    let across: Vec<f64> = same.iter().flat_map(|a| other.iter().map(|b| a.similarity(b))).collect();
    assert!(median(within.clone()) >= DEFAULT_THRESHOLD, "{within:?}");
    assert!(across.iter().all(|s| *s < 0.2), "{across:?}");
}

#[test]
fn a_signature_is_stable_and_survives_its_hex() {
    let text = "Во дворе дома третий год не ремонтируют асфальт и тротуары, детская площадка сломана";
    let a = signature(text).unwrap();
    assert_eq!(a, signature(text).unwrap());
    assert_eq!(Signature::from_hex(&a.to_hex()), Some(a.clone()));
    assert_eq!(Signature::from_hex("zz"), None);
    // The same words in another order and case, ё folded: the same signature.
    let b = signature("детская площадка СЛОМАНА, во дворе дома третий год не ремонтируют асфальт и тротуары").unwrap();
    assert!(a.similarity(&b) > 0.7, "{}", a.similarity(&b));
}

#[test]
fn short_letters_make_no_signature() {
    assert_eq!(signature("Прошу починить лифт"), None);
    assert_eq!(signature(""), None);
}

#[test]
fn numbers_do_not_tell_signatories_apart() {
    let a = signature("Просим отремонтировать дорогу у дома 5 кв 12 улица Строителей яма глубокая опасно ездить").unwrap();
    let b = signature("Просим отремонтировать дорогу у дома 48 кв 3 улица Строителей яма глубокая опасно ездить").unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_letter_joins_the_campaign_most_like_it_and_brings_its_halves_together() {
    let s = |t: &str| signature(t).unwrap();
    let new = s("Маршрут автобуса двенадцать отменили, до поликлиники и школы идти пешком по обочине");
    let same = s("Маршрут автобуса двенадцать отменили, до поликлиники и школы идти пешком по обочине");
    let far = s("Во дворе дома третий год не ремонтируют асфальт и тротуары, детская площадка сломана");
    let cands = vec![
        Candidate { appeal: 1, campaign: None, signature: same.clone() },
        Candidate { appeal: 2, campaign: Some(9), signature: same },
        Candidate { appeal: 3, campaign: Some(8), signature: far },
    ];
    assert_eq!(decide(&new, &cands, 0.5), Grouping::Join { campaign: 9, merge: vec![], add: vec![1] });
    assert_eq!(decide(&new, &cands[..1], 0.5), Grouping::Start { with: vec![1] });
    assert_eq!(decide(&new, &cands[2..], 0.5), Grouping::Alone);
    // Like letters of two campaigns: the one with more of them takes the other in.
    let like = |appeal, campaign| Candidate { appeal, campaign: Some(campaign), signature: new.clone() };
    let two = vec![like(4, 7), like(5, 6), like(6, 6)];
    assert_eq!(decide(&new, &two, 0.5), Grouping::Join { campaign: 6, merge: vec![7], add: vec![] });
}

