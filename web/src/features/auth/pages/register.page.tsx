import { LIMITS } from "@helpdesk/contracts";
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { detectLanguage } from "../../../app/i18n";
import { ApiError } from "../../../shared/api/client";
import { describeError } from "../../../shared/api/errors";
import { usePublicSettings, useRegister } from "../api";
import { AuthFrame } from "../components/auth-frame.component";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function domainOf(error: ApiError): string | null {
  const details = error.details as { domain?: unknown } | undefined;
  return typeof details?.domain === "string" ? details.domain : null;
}

export default function RegisterPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const settings = usePublicSettings();
  const register = useRegister();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);
  const domain = settings.data?.allowed_email_domain ?? null;

  const emailError =
    touched && !EMAIL_RE.test(email.trim())
      ? t("auth.emailInvalid")
      : touched && domain && !email.trim().toLowerCase().endsWith(`@${domain}`)
        ? t("auth.domainRule", { domain })
        : null;
  const passwordError =
    touched && password.length < LIMITS.passwordMin
      ? t("auth.passwordTooShort", { min: LIMITS.passwordMin })
      : null;
  const nameError = touched && !name.trim() ? t("auth.required") : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!name.trim() || !EMAIL_RE.test(email.trim()) || password.length < LIMITS.passwordMin) {
      return;
    }
    register.mutate(
      { name: name.trim(), email: email.trim(), password, language: detectLanguage() },
      {
        onSuccess: (user) =>
          navigate(`/sign-in?registered=1&email=${encodeURIComponent(user?.email ?? email.trim())}`),
      },
    );
  };

  const serverError = register.error;
  const isDomainError = serverError instanceof ApiError && serverError.code === "auth.domain_not_allowed";

  return (
    <AuthFrame title={t("auth.registerTitle")}>
      <form onSubmit={submit} noValidate>
        <Stack>
          {domain ? (
            <Alert color="blue" icon={<IconInfoCircle size={18} />} role="note">
              {t("auth.domainRule", { domain })}
            </Alert>
          ) : null}
          {serverError ? (
            <Alert color="red" role="alert">
              {isDomainError
                ? t("errors.auth.domain_not_allowed", { domain: domainOf(serverError) ?? domain ?? "" })
                : describeError(serverError, t)}
            </Alert>
          ) : null}
          <TextInput
            label={t("auth.name")}
            autoComplete="name"
            required
            maxLength={LIMITS.nameMax}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={nameError}
          />
          <TextInput
            label={t("auth.email")}
            type="email"
            autoComplete="email"
            required
            placeholder={domain ? `name@${domain}` : undefined}
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={emailError}
          />
          <PasswordInput
            label={t("auth.password")}
            description={t("auth.passwordHint", { min: LIMITS.passwordMin })}
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={passwordError}
          />
          <Button type="submit" loading={register.isPending}>
            {t("auth.register")}
          </Button>
          <Text size="sm">
            {t("auth.haveAccount")}{" "}
            <Anchor component={Link} to="/sign-in">
              {t("auth.signIn")}
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
