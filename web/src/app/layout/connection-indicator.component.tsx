import { Badge, Loader, Tooltip } from "@mantine/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { RealtimeStatus } from "../../shared/realtime/realtime-client";

/** Shown only after the live connection has been down for a moment (no flash while connecting). */
const GRACE_MS = 2000;

/** "Reconnecting…" in the header while live updates are not arriving. */
export function ConnectionIndicator({ status }: { status: RealtimeStatus }) {
  const { t } = useTranslation();
  const [down, setDown] = useState(false);

  useEffect(() => {
    if (status === "open" || status === "idle") {
      setDown(false);
      return;
    }
    const timer = setTimeout(() => setDown(true), GRACE_MS);
    return () => clearTimeout(timer);
  }, [status]);

  return (
    <div aria-live="polite" style={{ display: "contents" }}>
      {down ? (
        <Tooltip label={t("realtime.offlineHint")} withArrow>
          <Badge
            color="orange"
            variant="light"
            leftSection={<Loader size={10} color="orange" />}
            style={{ flex: "none" }}
            role="status"
          >
            {t("realtime.reconnecting")}
          </Badge>
        </Tooltip>
      ) : null}
    </div>
  );
}
