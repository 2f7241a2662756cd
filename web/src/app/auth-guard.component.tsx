import { useMantineColorScheme } from "@mantine/core";
import { useEffect } from "react";
import { Navigate, Outlet, useLocation } from "react-router";
import { useMe } from "../features/auth/api";
import { ErrorAlert } from "../shared/components/error-alert.component";
import { PageLoader } from "../shared/components/page-loader.component";
import { applyLanguage } from "./i18n";

/** Applies the profile's language and theme whenever the profile changes. */
function useProfilePreferences() {
  const { data: me } = useMe();
  const { setColorScheme } = useMantineColorScheme();
  useEffect(() => {
    if (!me) {
      return;
    }
    applyLanguage(me.language);
    setColorScheme(me.theme === "system" ? "auto" : me.theme);
  }, [me, setColorScheme]);
}

/** Renders its routes only for a signed-in user, otherwise sends to the sign-in page. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  useProfilePreferences();
  if (me.isPending) {
    return <PageLoader />;
  }
  if (me.isError) {
    return <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />;
  }
  if (!me.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}
