import {
  Alert,
  Button,
  Group,
  Input,
  PasswordInput,
  PinInput,
  Stack,
  Stepper,
  Text,
  TextInput,
  ThemeIcon,
} from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { IconCircleCheck, IconMinus, IconRefresh, IconSend } from "@tabler/icons-react";
import type { TFunction } from "i18next";
import { type FormEvent, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import {
  LOGIN_CODE_PATTERN,
  type TelegramAccount,
  type TelegramLogin,
  type TelegramLoginStep,
  useTelegramLogin,
} from "../api";
import { describeTelegramAdminError, errorCode, FLOOD_CODES, retryAfterSeconds } from "../errors";
import { useSecondsLeft } from "../hooks/use-seconds-left";

type Step = "send" | "code" | "password" | "done";
const STEP_INDEX: Record<Step, number> = { send: 0, code: 1, password: 2, done: 3 };

/** A PinInput for codes of up to this many digits; longer ones (or of unknown length) get a text field. */
const PIN_MAX_LENGTH = 8;

/** Errors after which the log-in must begin again: Telegram sends a new code. */
const RESTART_CODES: ReadonlySet<string> = new Set([
  "telegram.login_not_started",
  "telegram.phone_code_expired",
  "telegram.login_wrong_step",
]);

/** "42 s", "3 min 5 s", "2 h 15 min": how long Telegram asks to wait. */
export function formatWait(seconds: number, t: TFunction): string {
  if (seconds < 60) {
    return t("telegramAdmin.login.time.seconds", { s: seconds });
  }
  if (seconds < 3600) {
    const [m, s] = [Math.floor(seconds / 60), seconds % 60];
    return s === 0
      ? t("telegramAdmin.login.time.minutesOnly", { m })
      : t("telegramAdmin.login.time.minutes", { m, s });
  }
  const [h, m] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60)];
  return m === 0
    ? t("telegramAdmin.login.time.hoursOnly", { h })
    : t("telegramAdmin.login.time.hours", { h, m });
}

/** How Telegram sent the code; a way this screen does not name reads as "Telegram sent the code". */
function describeDelivery(login: TelegramLogin, phone: string, t: TFunction): string {
  return t(`telegramAdmin.login.codeSent.${login.code_type}`, {
    phone,
    defaultValue: t("telegramAdmin.login.codeSent.other"),
  });
}

/** "Send by SMS", "Call me": the way "send the code again" would take. */
function resendLabel(login: TelegramLogin, t: TFunction): string {
  return t(`telegramAdmin.login.resendBy.${login.next_type}`, {
    defaultValue: t("telegramAdmin.login.resendBy.other"),
  });
}

/** The step a log-in in progress is at; none in progress: send a code first. */
function stepOf(account: TelegramAccount): Step {
  return account.login?.stage ?? "send";
}

type LoginErrorProps = {
  error: unknown;
  /** Seconds left of a flood wait (0: over, or Telegram did not say). */
  waitLeft: number;
  /** "Start again" belongs under the error: the log-in is lost, or starting it again was refused. */
  offerStartAgain: boolean;
  starting: boolean;
  onStartAgain: () => void;
};

/** A refused step, translated by code: a flood wait counts down, a lost log-in offers to start again. */
function LoginError({ error, waitLeft, offerStartAgain, starting, onStartAgain }: LoginErrorProps) {
  const { t } = useTranslation();
  if (error === null) {
    return null;
  }
  const code = errorCode(error) ?? "";
  const flood = FLOOD_CODES.has(code);
  const waited = flood && retryAfterSeconds(error) !== null && waitLeft === 0;
  const message = !flood
    ? describeTelegramAdminError(error, t)
    : waited
      ? t("telegramAdmin.login.waitOver")
      : waitLeft > 0
        ? t(`telegramAdmin.login.wait.${code === "telegram.flood_wait" ? "flood" : "phone"}`, {
            time: formatWait(waitLeft, t),
          })
        : t("telegramAdmin.login.waitUnknown");
  const color = !flood ? "red" : waited ? "blue" : "orange";
  return (
    <Alert color={color} role="alert">
      {message}
      {offerStartAgain ? (
        <Button
          size="xs"
          color={color}
          mt="sm"
          display="block"
          leftSection={<IconRefresh size={14} />}
          loading={starting}
          disabled={waitLeft > 0}
          onClick={onStartAgain}
        >
          {t("telegramAdmin.login.startAgain")}
        </Button>
      ) : null}
    </Alert>
  );
}

type Props = {
  account: TelegramAccount;
  onClose: () => void;
};

/**
 * A personal account's log-in, as a stepper: Telegram sends a code, the admin types it, then the
 * two-step verification password if the account has one. Opened on a log-in in progress it goes
 * on where it is. The code and password are cleared from their fields as soon as they are sent.
 */
export function TelegramLoginSteps({ account: initial, onClose }: Props) {
  const { t } = useTranslation();
  const phoneScreen = useMediaQuery("(max-width: 35.99em)", false, { getInitialValueInEffect: false });
  const login = useTelegramLogin(initial.id);
  const [account, setAccount] = useState(initial);
  const [step, setStep] = useState<Step>(stepOf(initial));
  const [passwordNeeded, setPasswordNeeded] = useState(initial.login?.stage === "password");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [codeTouched, setCodeTouched] = useState(false);
  const [resent, setResent] = useState(false);
  const pinRoot = useRef<HTMLDivElement>(null);

  const retryAfter = retryAfterSeconds(login.error);
  const waitLeft = useSecondsLeft(
    retryAfter !== null && login.failedAt !== null ? login.failedAt + retryAfter * 1000 : null,
  );
  const current = account.login;
  const resendAt = current?.can_resend_at ? Date.parse(current.can_resend_at) : null;
  const resendLeft = useSecondsLeft(resendAt);
  const phone = account.phone_number ?? "";
  const busy = login.pending !== null;
  const failedCode = errorCode(login.error);
  // A flood wait holds back the step Telegram refused; the others go on (its waits are per method).
  const blocks = (which: TelegramLoginStep) => busy || (login.failedStep === which && waitLeft > 0);

  /** Moves to the step the answer says; null (refused) stays, its error under the step. */
  const follow = (next: TelegramAccount | null, from: Step) => {
    if (!next) {
      return;
    }
    setAccount(next);
    if (next.login?.stage === "password") {
      setPasswordNeeded(true);
      setStep("password");
    } else if (next.login?.stage === "code") {
      if (from === "send") {
        setPasswordNeeded(false);
        setResent(false);
      }
      setStep("code");
    } else if (from === "code" || from === "password") {
      setStep("done");
    }
  };

  const focusCode = () => {
    // After a refused code: the field is empty again, its first box takes the next try.
    requestAnimationFrame(() => pinRoot.current?.querySelector("input")?.focus());
  };

  const sendCode = async () => follow(await login.sendCode(), "send");

  const resendCode = async () => {
    const next = await login.resendCode();
    if (next) {
      setResent(true);
    }
    follow(next, "code");
  };

  const submitCode = async (value: string) => {
    const digits = value.replace(/[\s-]/g, "");
    setCodeTouched(true);
    if (!LOGIN_CODE_PATTERN.test(digits) || blocks("verify_otp")) {
      return;
    }
    // The code lives only in the request: the field is emptied as it goes.
    setCode("");
    setCodeTouched(false);
    const next = await login.verifyCode(digits);
    follow(next, "code");
    if (!next) {
      focusCode();
    }
  };

  const submitPassword = async (event: FormEvent) => {
    event.preventDefault();
    if (password === "" || blocks("verify_password")) {
      return;
    }
    const value = password;
    setPassword("");
    follow(await login.verifyPassword(value), "password");
  };

  const error = (
    <LoginError
      error={login.error}
      waitLeft={waitLeft}
      offerStartAgain={
        RESTART_CODES.has(failedCode ?? "") || (step !== "send" && login.failedStep === "authenticate")
      }
      starting={login.pending === "authenticate"}
      onStartAgain={() => void sendCode()}
    />
  );

  const codeLength = current?.code_length ?? null;
  const usePin = codeLength !== null && codeLength >= 3 && codeLength <= PIN_MAX_LENGTH;
  const codeInvalid = codeTouched && !LOGIN_CODE_PATTERN.test(code.replace(/[\s-]/g, ""));
  const canResend = current !== null && current.can_resend_at !== null && current.next_type !== "none";
  const label = (text: string) => (phoneScreen ? undefined : text);
  const user = account.telegram_user;

  return (
    <Stack gap="md">
      <Stepper
        active={STEP_INDEX[step]}
        size="sm"
        allowNextStepsSelect={false}
        aria-label={t("telegramAdmin.login.stepsLabel")}
      >
        <Stepper.Step
          label={label(t("telegramAdmin.login.steps.send"))}
          aria-label={t("telegramAdmin.login.steps.send")}
        >
          <Stack gap="sm">
            {phoneScreen ? <StepTitle>{t("telegramAdmin.login.steps.send")}</StepTitle> : null}
            <Text size="sm">{t("telegramAdmin.login.sendIntro", { phone })}</Text>
            <Group>
              <Button
                leftSection={<IconSend size={16} />}
                loading={login.pending === "authenticate"}
                disabled={blocks("authenticate") && login.pending !== "authenticate"}
                onClick={() => void sendCode()}
                data-autofocus
              >
                {t("telegramAdmin.login.send")}
              </Button>
            </Group>
            {error}
          </Stack>
        </Stepper.Step>
        <Stepper.Step
          label={label(t("telegramAdmin.login.steps.code"))}
          aria-label={t("telegramAdmin.login.steps.code")}
        >
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void submitCode(code);
            }}
            noValidate
          >
            <Stack gap="sm">
              {phoneScreen ? <StepTitle>{t("telegramAdmin.login.steps.code")}</StepTitle> : null}
              {current ? <Text size="sm">{describeDelivery(current, phone, t)}</Text> : null}
              {resent ? (
                <Text size="xs" c="teal" role="status">
                  {t("telegramAdmin.login.resent")}
                </Text>
              ) : null}
              {usePin ? (
                <Stack gap={4}>
                  <Input.Label id={`tg-code-label-${account.id}`} htmlFor={`tg-code-${account.id}-1`}>
                    {t("telegramAdmin.login.code")}
                  </Input.Label>
                  <PinInput
                    id={`tg-code-${account.id}`}
                    rootRef={pinRoot}
                    length={codeLength}
                    type="number"
                    inputMode="numeric"
                    size={phoneScreen ? "md" : "lg"}
                    gap={phoneScreen ? 6 : "sm"}
                    placeholder=""
                    autoFocus
                    value={code}
                    onChange={(value) => {
                      setCode(value);
                      setCodeTouched(false);
                    }}
                    onComplete={(value) => void submitCode(value)}
                    disabled={busy}
                    error={codeInvalid || (failedCode === "telegram.phone_code_invalid" && code === "")}
                    ariaLabel={t("telegramAdmin.login.code")}
                    aria-labelledby={`tg-code-label-${account.id}`}
                  />
                  {codeInvalid ? (
                    <Text size="xs" c="red">
                      {t("telegramAdmin.login.codeIncomplete")}
                    </Text>
                  ) : null}
                </Stack>
              ) : (
                <div ref={pinRoot}>
                  <TextInput
                    label={t("telegramAdmin.login.code")}
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    spellCheck={false}
                    maxLength={14}
                    data-autofocus
                    autoFocus
                    w={200}
                    value={code}
                    onChange={(e) => {
                      setCode(e.currentTarget.value);
                      setCodeTouched(false);
                    }}
                    disabled={busy}
                    error={codeInvalid ? t("telegramAdmin.login.codeInvalid") : null}
                  />
                </div>
              )}
              <Group gap="xs" wrap="wrap">
                <Button
                  type="submit"
                  loading={login.pending === "verify_otp"}
                  disabled={blocks("verify_otp")}
                >
                  {t("telegramAdmin.login.submitCode")}
                </Button>
                {canResend ? (
                  <Button
                    variant="subtle"
                    // "Call me with the code in 1 min 58 s" wraps on a phone instead of being cut.
                    h="auto"
                    mih={36}
                    py={6}
                    styles={{ label: { whiteSpace: "normal", textAlign: "start" } }}
                    leftSection={<IconRefresh size={16} />}
                    loading={login.pending === "resend_code"}
                    disabled={blocks("resend_code") || resendLeft > 0}
                    onClick={() => void resendCode()}
                  >
                    {resendLeft > 0
                      ? t("telegramAdmin.login.resendIn", {
                          action: resendLabel(current, t),
                          time: formatWait(resendLeft, t),
                        })
                      : resendLabel(current, t)}
                  </Button>
                ) : null}
              </Group>
              {error}
            </Stack>
          </form>
        </Stepper.Step>
        <Stepper.Step
          label={label(t("telegramAdmin.login.steps.password"))}
          aria-label={t("telegramAdmin.login.steps.password")}
          description={
            step === "done" && !passwordNeeded && !phoneScreen
              ? t("telegramAdmin.login.passwordSkipped")
              : undefined
          }
          completedIcon={step === "done" && !passwordNeeded ? <IconMinus size={18} /> : undefined}
        >
          <form onSubmit={(event) => void submitPassword(event)} noValidate>
            <Stack gap="sm">
              {phoneScreen ? <StepTitle>{t("telegramAdmin.login.steps.password")}</StepTitle> : null}
              <Text size="sm">{t("telegramAdmin.login.passwordIntro")}</Text>
              <PasswordInput
                label={t("telegramAdmin.login.password")}
                description={
                  current?.password_hint
                    ? t("telegramAdmin.login.passwordHint", { hint: current.password_hint })
                    : t("telegramAdmin.login.passwordNoHint")
                }
                // Not the helpdesk's password: keep browsers from saving or filling it here.
                autoComplete="off"
                data-1p-ignore
                data-lpignore="true"
                data-autofocus
                autoFocus
                maxLength={500}
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                disabled={busy}
                error={failedCode === "telegram.password_invalid" && password === ""}
              />
              <Group>
                <Button
                  type="submit"
                  loading={login.pending === "verify_password"}
                  disabled={blocks("verify_password") || password === ""}
                >
                  {t("telegramAdmin.login.submitPassword")}
                </Button>
              </Group>
              {error}
            </Stack>
          </form>
        </Stepper.Step>
        <Stepper.Completed>
          <Stack gap="sm" align="center" py="sm" role="status">
            <ThemeIcon color="green" variant="light" size={48} radius="xl" aria-hidden>
              <IconCircleCheck size={30} />
            </ThemeIcon>
            <Text fw={600} ta="center" style={{ overflowWrap: "anywhere" }}>
              {user
                ? user.username
                  ? t("telegramAdmin.login.doneAs", { name: user.name, username: user.username })
                  : t("telegramAdmin.login.doneAsNoUsername", { name: user.name })
                : t("telegramAdmin.login.done")}
            </Text>
            <Text size="sm" c="dimmed" ta="center" maw={420}>
              {account.is_enabled ? t("telegramAdmin.login.doneHint") : t("telegramAdmin.login.doneStopped")}
            </Text>
            <Button onClick={onClose} data-autofocus>
              {t("common.close")}
            </Button>
          </Stack>
        </Stepper.Completed>
      </Stepper>
    </Stack>
  );
}

/** On phones the stepper shows icons only: the current step's name heads its content. */
function StepTitle({ children }: { children: string }) {
  return (
    <Text size="sm" fw={600}>
      {children}
    </Text>
  );
}
