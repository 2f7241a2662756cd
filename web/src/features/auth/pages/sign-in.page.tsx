import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { homePathFor } from "../../../app/nav";
import { describeError } from "../../../shared/api/errors";
import { useLogin, useMe, usePublicSettings } from "../api";
import { AuthFrame } from "../components/auth-frame.component";

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string | null {
  return next?.startsWith("/") && !next.startsWith("//") ? next : null;
}

export function SignInPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const settings = usePublicSettings();
  const login = useLogin();
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [password, setPassword] = useState("");
  const next = safeNext(params.get("next"));

  if (me.data) {
    return <Navigate to={next ?? homePathFor(me.data.role)} replace />;
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate(
      { email: email.trim(), password },
      { onSuccess: (data) => navigate(next ?? homePathFor(data.user.role), { replace: true }) },
    );
  };

  return (
    <AuthFrame title={t("auth.signInTitle", { org: settings.data?.organisation_name || t("app.name") })}>
      <form onSubmit={submit} noValidate>
        <Stack>
          {params.get("registered") ? (
            <Alert color="green" role="status">
              {t("auth.registered")}
            </Alert>
          ) : null}
          {login.isError ? (
            <Alert color="red" role="alert">
              {describeError(login.error, t)}
            </Alert>
          ) : null}
          <TextInput
            label={t("auth.email")}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <PasswordInput
            label={t("auth.password")}
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <Button type="submit" loading={login.isPending} disabled={!email || !password}>
            {t("auth.signIn")}
          </Button>
          <Text size="sm">
            {t("auth.noAccount")}{" "}
            <Anchor component={Link} to="/register">
              {t("auth.register")}
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
