import type { TLanguage } from "@helpdesk/contracts";
import { statusName } from "../../modules/notifications/notifications.texts.js";

/** What the requester bot says, in Russian and English (one key, both languages). */
const TEXTS = {
  ru: {
    welcome:
      "Здравствуйте! Я бот службы поддержки. Здесь можно оставить заявку и следить за ней.\n\n" +
      "/new — новая заявка\n/my — мои открытые заявки\n/lang — язык\n/help — справка",
    help:
      "Что я умею:\n" +
      "/new — новая заявка: категория, срочность, описание, фото и документы\n" +
      "/my — ваши открытые заявки; нажмите на заявку, чтобы увидеть переписку\n" +
      "/lang — русский или английский\n" +
      "/cancel — отменить то, что начато\n\n" +
      "Чтобы дописать в заявку, ответьте (Ответить в Telegram) на любое сообщение о ней. " +
      "Привяжите Telegram к учётной записи в профиле на сайте, чтобы видеть здесь и заявки, поданные там.",
    askCategory: "Новая заявка. Выберите категорию:",
    askPriority: "Насколько это срочно?",
    askText: "Опишите проблему одним сообщением. Можно приложить фото или документ.",
    askMore: "Можно приложить ещё фото или документы. Когда всё готово, нажмите «Отправить».",
    filesAttached: (n: number) => `Приложено файлов: ${n}.`,
    needText: "Сначала опишите проблему текстом.",
    skip: "Пропустить",
    send: "Отправить",
    cancel: "Отмена",
    cancelled: "Отменено. Ничего не отправлено.",
    created: (n: number, title: string) => `Заявка #${n} создана: ${title}\nМы ответим здесь.`,
    askFile: "Оформить это сообщение как новую заявку?",
    fileYes: "Да, создать заявку",
    fileNo: "Нет",
    notFiled: "Хорошо, заявка не создана.",
    stale: "Это действие устарело. Начните заново: /new",
    myNone: "У вас нет открытых заявок. Новая заявка: /new",
    myHeader: "Ваши открытые заявки:",
    myMore: (n: number) => `…и ещё ${n}. Все заявки — на сайте.`,
    noPublicMessages: "Сообщений пока нет.",
    replyPrompt: (n: number) => `Напишите ответ по заявке #${n}:`,
    added: (n: number) => `Добавлено в заявку #${n}.`,
    notYours: "Эта заявка вам недоступна.",
    reply: "Ответить",
    openInBrowser: "Открыть на сайте",
    chooseLanguage: "Выберите язык:",
    languageSet: "Готово: теперь я пишу по-русски.",
    linked: (name: string) =>
      `Telegram привязан к учётной записи «${name}». Уведомления будут приходить сюда.`,
    alreadyLinked: (name: string) => `Telegram уже привязан к учётной записи «${name}».`,
    linkInvalid: "Ссылка для привязки недействительна или устарела. Получите новую в профиле на сайте.",
    deactivated: "Ваша учётная запись отключена.",
    status: (s: string) => statusName("ru", s),
    commands: [
      ["new", "Новая заявка"],
      ["my", "Мои открытые заявки"],
      ["lang", "Язык"],
      ["help", "Справка"],
      ["cancel", "Отменить начатое"],
    ] as [string, string][],
    from: (name: string) => `${name}:`,
    you: "Вы",
  },
  en: {
    welcome:
      "Hello! I am the helpdesk bot. You can file a request here and follow it.\n\n" +
      "/new — a new request\n/my — your open requests\n/lang — language\n/help — help",
    help:
      "What I can do:\n" +
      "/new — a new request: category, urgency, description, photos and documents\n" +
      "/my — your open requests; tap one to see its conversation\n" +
      "/lang — Russian or English\n" +
      "/cancel — cancel what you started\n\n" +
      "To add to a request, reply (Telegram's Reply) to any message about it. " +
      "Link Telegram to your account on the website's profile page to see the requests you filed there too.",
    askCategory: "A new request. Choose a category:",
    askPriority: "How urgent is it?",
    askText: "Describe the problem in one message. You can attach a photo or a document.",
    askMore: "You can attach more photos or documents. When everything is ready, press “Send”.",
    filesAttached: (n: number) => `Files attached: ${n}.`,
    needText: "Please describe the problem in text first.",
    skip: "Skip",
    send: "Send",
    cancel: "Cancel",
    cancelled: "Cancelled. Nothing was sent.",
    created: (n: number, title: string) => `Request #${n} created: ${title}\nWe will answer here.`,
    askFile: "File this message as a new request?",
    fileYes: "Yes, file it",
    fileNo: "No",
    notFiled: "OK, no request was filed.",
    stale: "This action has expired. Start again: /new",
    myNone: "You have no open requests. A new one: /new",
    myHeader: "Your open requests:",
    myMore: (n: number) => `…and ${n} more. All requests are on the website.`,
    noPublicMessages: "No messages yet.",
    replyPrompt: (n: number) => `Write your reply to request #${n}:`,
    added: (n: number) => `Added to request #${n}.`,
    notYours: "You cannot see this request.",
    reply: "Reply",
    openInBrowser: "Open in browser",
    chooseLanguage: "Choose a language:",
    languageSet: "Done: I will write in English now.",
    linked: (name: string) => `Telegram is linked to the account “${name}”. Notifications will come here.`,
    alreadyLinked: (name: string) => `Telegram is already linked to the account “${name}”.`,
    linkInvalid: "This link is invalid or has expired. Get a new one on your profile page on the website.",
    deactivated: "Your account is deactivated.",
    status: (s: string) => statusName("en", s),
    commands: [
      ["new", "A new request"],
      ["my", "My open requests"],
      ["lang", "Language"],
      ["help", "Help"],
      ["cancel", "Cancel what I started"],
    ] as [string, string][],
    from: (name: string) => `${name}:`,
    you: "You",
  },
} satisfies Record<TLanguage, Record<string, unknown>>;

export type TBotTexts = (typeof TEXTS)["en"];

export const botTexts = (lang: TLanguage): TBotTexts => TEXTS[lang];

/** Words that cancel a dialogue at any step, besides the Cancel button and /cancel. */
export const isCancelWord = (text: string) =>
  /^\/?(cancel|отмена|отменить|стоп|stop)(@\w+)?$/i.test(text.trim());
