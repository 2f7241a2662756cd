/** Realistic request texts in Russian and English, shared by seed-demo and the benchmarks. */
export const DEMO_SUBJECTS_RU = [
  "Не печатает принтер на третьем этаже",
  "Не приходит почта в Outlook",
  "Нужен доступ к папке бухгалтерии",
  "Сломалась мышь, прошу заменить",
  "VPN отключается каждые 10 минут",
  "Установить 1С на новый ноутбук",
  "Забыл пароль от учётной записи",
  "Медленно работает интернет в переговорной",
  "Не открывается счёт-фактура в PDF",
  "Заказать картридж для МФУ",
  "Телефон на ресепшене не принимает звонки",
  "Не синхронизируется календарь на телефоне",
  "Ошибка при проведении платежа в банк-клиенте",
  "Нужно подключить второй монитор",
  "Прошу создать почтовый ящик для нового сотрудника",
  "Сканер сохраняет документы в неправильную папку",
  "Не работает пропуск на входе в офис",
  "Вопрос по доставке оборудования в филиал",
  "Согласовать закупку лицензий Microsoft",
  "Кондиционер в кабинете 204 шумит",
];
export const DEMO_SUBJECTS_EN = [
  "Printer on the third floor does not print",
  "Emails are not arriving in Outlook",
  "Need access to the accounting share",
  "Broken mouse, please replace",
  "VPN disconnects every 10 minutes",
  "Install the ERP client on a new laptop",
  "Forgot my account password",
  "Slow internet in the meeting room",
  "Invoice PDF does not open",
  "Order a toner cartridge for the MFP",
  "Reception phone does not accept calls",
  "Calendar does not sync on my phone",
  "Payment fails in the online banking client",
  "Need a second monitor connected",
  "Please create a mailbox for a new employee",
  "Scanner saves documents to the wrong folder",
  "Access badge does not work at the entrance",
  "Question about equipment delivery to the branch",
  "Approve the purchase of Microsoft licences",
  "Air conditioner in room 204 is noisy",
];
export const DEMO_BODIES_RU = [
  "Добрый день! Проблема началась сегодня утром, перезагрузка не помогла. Прошу посмотреть как можно скорее.",
  "Коллеги, при попытке открыть файл появляется ошибка доступа. Скриншот прикладываю.",
  "Здравствуйте. Уже третий день подряд повторяется одно и то же, мешает работать всему отделу.",
  "Прошу помочь: после обновления системы перестали работать привычные функции.",
  "Срочно! Завтра отчётность, без этого не сможем отправить документы в налоговую.",
];
export const DEMO_BODIES_EN = [
  "Hello, the problem started this morning and a restart did not help. Please take a look as soon as possible.",
  "When I try to open the file I get an access denied error. Screenshot attached.",
  "This is the third day in a row the same thing happens; it blocks the whole team.",
  "After the latest update the usual functions stopped working. Could you help?",
  "Urgent: reports are due tomorrow and we cannot send the documents without this.",
];
export const DEMO_REPLIES_RU = [
  "Добрый день! Заявку приняли, специалист подойдёт в течение часа.",
  "Уточните, пожалуйста, инвентарный номер устройства.",
  "Проверили настройки, всё должно работать. Подтвердите, пожалуйста.",
  "Спасибо, теперь всё работает!",
];
export const DEMO_REPLIES_EN = [
  "Hello! We have your request; an engineer will come by within an hour.",
  "Could you tell us the asset number of the device?",
  "We checked the settings and it should work now. Please confirm.",
  "Thanks, it works now!",
];
export const DEMO_NOTES = [
  "Похоже на проблему с драйвером, проверить версию. / Looks like a driver issue.",
  "Нужна закупка, согласовать с руководителем. / Needs a purchase order.",
];
